/** One row of the bench table. */
export interface BenchResult {
  workload: string;
  metric: string;
  value: number | null;
  unit: string;
  /** The figure it is compared with, and the goal on that comparison. */
  ratio?: { to: string; value: number; goal: string };
  notes?: string;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}
