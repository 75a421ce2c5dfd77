/**
 * `GET /api/journeys/:id/experiments` (contracts/experiments.md): the engine's types, typed once
 * there; type-only, so none of the engine's code is bundled.
 */
export type { Experiment, VariantFigures as ExperimentVariant } from '../../../../engine/experiments/types.ts';

/** `GET /api/journeys/:id/analytics`. */
export interface Analytics {
  bucket: 'hour' | 'day';
  from: string;
  to: string;
  runs: { started: number; converted: number };
  nodes: Record<string, { entered: number; completed: number; failed: number; waiting: number; converted: number }>;
  outputs: Record<string, Record<string, { taken: number; converted: number }>>;
  series: {
    buckets: string[];
    runs: { started: number[]; converted: number[] };
    nodes: Record<string, { entered: number[]; completed: number[]; failed: number[]; converted: number[] }>;
  };
}
