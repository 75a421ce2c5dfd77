/**
 * The shapes of the experiments answer (contracts/experiments.md "Figures"), apart from the
 * code that computes them: no runtime imports, so the editor reads the same types (type-only)
 * without the engine's database or statistics code.
 */

export type Metric = 'goal' | 'click' | 'open';

/** One variant's counted units. */
export interface VariantCount {
  key: string;
  weight: number;
  entered: number;
  converted: number;
}

export interface VariantFigures extends VariantCount {
  rate: number | null;
  ci95: [number, number] | null;
  upliftAbsolute: number | null;
  upliftRelative: number | null;
  upliftCi95: [number, number] | null;
  test: 'two-proportion-z' | null;
  pValue: number | null;
  significant: boolean;
}

export interface TestFigures {
  name: 'chi-squared' | 'two-proportion-z';
  statistic: number | null;
  df: number | null;
  pValue: number | null;
  significant: boolean;
}

export interface Figures {
  baseline: string;
  test: TestFigures;
  sample: { lift: number; power: number; neededPerVariant: number | null; moreNeededPerVariant: number | null };
  variants: VariantFigures[];
}

export interface WinnerParam {
  metric: Metric;
  after: string;
  minPerVariant: number;
  confidence: number;
}

/** A split's decision as the API shows it. */
export interface Decision {
  kind: 'winner' | 'no-winner' | 'override';
  variant: string | null;
  at: string;
  method: 'two-proportion-z' | 'manual';
  metric: Metric;
  confidence: number;
  pValue: number | null;
  reason?: 'too-few-contacts' | 'not-significant';
  figures: { key: string; entered: number; converted: number; rate: number | null }[];
  clearedAt: string | null;
}

export interface Experiment {
  nodeId: string;
  metric: Metric;
  baseline: string;
  confidence: number;
  status: 'testing' | 'no-winner' | 'winner' | 'override';
  startedAt: string | null;
  endsAt: string | null;
  winner: WinnerParam | null;
  decision: Decision | null;
  history: Decision[];
  routed: number;
  test: Figures['test'];
  sample: Figures['sample'];
  variants: Figures['variants'];
}
