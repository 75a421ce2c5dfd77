/** `GET /api/journeys/:id/experiments` (contracts/experiments.md). */
export interface ExperimentVariant {
  key: string;
  weight: number;
  entered: number;
  converted: number;
  rate: number | null;
  ci95: [number, number] | null;
  upliftAbsolute: number | null;
  upliftRelative: number | null;
  upliftCi95: [number, number] | null;
  test: 'two-proportion-z' | null;
  pValue: number | null;
  significant: boolean;
}

export interface ExperimentDecision {
  kind: 'winner' | 'no-winner' | 'override';
  variant: string | null;
  at: string;
  method: 'two-proportion-z' | 'manual';
  metric: 'goal' | 'click' | 'open';
  confidence: number;
  pValue: number | null;
  reason?: 'too-few-contacts' | 'not-significant';
  clearedAt: string | null;
}

export interface Experiment {
  nodeId: string;
  metric: 'goal' | 'click' | 'open';
  baseline: string;
  confidence: number;
  status: 'testing' | 'no-winner' | 'winner' | 'override';
  startedAt: string | null;
  endsAt: string | null;
  decision: ExperimentDecision | null;
  history: ExperimentDecision[];
  routed: number;
  test: { name: string; statistic: number | null; df: number | null; pValue: number | null; significant: boolean };
  sample: { lift: number; power: number; neededPerVariant: number | null; moreNeededPerVariant: number | null };
  variants: ExperimentVariant[];
}

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
