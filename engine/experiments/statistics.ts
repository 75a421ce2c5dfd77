import erfc from '@stdlib/math-base-special-erfc';
import gammainc from '@stdlib/math-base-special-gammainc';
import quantile from '@stdlib/stats-base-dists-normal-quantile';

/** The standard normal's 0.975 quantile (contract: never 1.96). */
export const Z95 = 1.959963984540054;

/** The standard normal's quantile, e.g. `normalQuantile(0.975)` ≈ 1.959964. */
export const normalQuantile = (p: number): number => quantile(p, 0, 1);

/** Two-sided p-value of a standard normal statistic: the exact upper tails (erfc keeps tiny values exact). */
export const twoSidedNormal = (z: number): number => erfc(Math.abs(z) / Math.SQRT2);

/** Upper tail of the chi-squared distribution: the regularized upper incomplete gamma Q(df/2, x/2). */
export const chiSquaredUpper = (x: number, df: number): number => gammainc(x / 2, df / 2, true, true);

/** Wilson score interval of `converted` of `n` at z. Null for n = 0. */
export function wilson(converted: number, n: number, z = Z95): [number, number] | null {
  if (n === 0) return null;
  const p = converted / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At none or all converted a bound is exactly 0 or 1; the formula leaves rounding noise (2.8e-17).
  return [converted === 0 ? 0 : Math.max(0, centre - half), converted === n ? 1 : Math.min(1, centre + half)];
}

/** Pooled two-proportion z-test of (x1 of n1) against (x0 of n0); null when undefined. */
export function twoProportionZ(x1: number, n1: number, x0: number, n0: number): { z: number; pValue: number } | null {
  if (n1 === 0 || n0 === 0) return null;
  const pooled = (x1 + x0) / (n1 + n0);
  if (pooled === 0 || pooled === 1) return null;
  const z = (x1 / n1 - x0 / n0) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0));
  return { z, pValue: twoSidedNormal(z) };
}

/** Pearson's chi-squared test of independence on a 2×k table (converted, not), no continuity correction. */
export function chiSquared(groups: readonly { converted: number; entered: number }[]): {
  statistic: number;
  df: number;
  pValue: number;
} | null {
  const used = groups.filter((g) => g.entered > 0);
  const n = used.reduce((s, g) => s + g.entered, 0);
  const x = used.reduce((s, g) => s + g.converted, 0);
  if (used.length < 2 || x === 0 || x === n) return null;
  let statistic = 0;
  for (const g of used) {
    const expectedYes = (g.entered * x) / n;
    const expectedNo = (g.entered * (n - x)) / n;
    statistic +=
      (g.converted - expectedYes) ** 2 / expectedYes + (g.entered - g.converted - expectedNo) ** 2 / expectedNo;
  }
  const df = used.length - 1;
  return { statistic, df, pValue: chiSquaredUpper(statistic, df) };
}

/**
 * Contacts per variant a two-sided test at `confidence` with power 0.8 needs to detect a
 * relative `lift` over the baseline rate p0; null when p0 is null or 0 or p1 ≥ 1.
 */
export function sampleSize(p0: number | null, confidence: number, lift = 0.1, power = 0.8): number | null {
  if (p0 === null || p0 === 0) return null;
  const p1 = (1 + lift) * p0;
  if (p1 >= 1) return null;
  const alpha = 1 - confidence;
  const zAlpha = normalQuantile(1 - alpha / 2);
  const zBeta = normalQuantile(power);
  const mean = (p0 + p1) / 2;
  const top = zAlpha * Math.sqrt(2 * mean * (1 - mean)) + zBeta * Math.sqrt(p0 * (1 - p0) + p1 * (1 - p1));
  return Math.ceil(top ** 2 / (p1 - p0) ** 2);
}
