/**
 * `GET /api/journeys/:id/experiments` (contracts/experiments.md) and
 * `GET /api/journeys/:id/analytics`: the engine's types, typed once there; type-only, so none
 * of the engine's code is bundled.
 */
export type { JourneyAnalytics as Analytics } from '../../../../engine/experiments/analytics-types.ts';
export type { Experiment, VariantFigures as ExperimentVariant } from '../../../../engine/experiments/types.ts';
