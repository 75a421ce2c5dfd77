import { chiSquared, sampleSize, twoProportionZ, wilson, Z95 } from './statistics.js';
import type { Figures, TestFigures, VariantCount, VariantFigures } from './types.js';

const rateOf = (v: { entered: number; converted: number }) => (v.entered === 0 ? null : v.converted / v.entered);

/** The variant the others are measured against: `control`, else the first. */
export const baselineOf = (keys: readonly string[]): string => (keys.includes('control') ? 'control' : (keys[0] ?? ''));

/**
 * Everything the experiments answer computes from the counts (contract "Figures"): rates
 * with Wilson intervals, uplift against the baseline with its interval and a pooled
 * two-proportion z-test, the overall test (z for two variants, chi-squared for more) and the
 * sample size guidance.
 *
 * @example
 * figures([{ key: 'a', weight: 50, entered: 1000, converted: 100 }, { key: 'b', … }], 0.95)
 */
export function figures(counts: readonly VariantCount[], confidence: number): Figures {
  const baseline = baselineOf(counts.map((c) => c.key));
  const base = counts.find((c) => c.key === baseline) ?? { entered: 0, converted: 0 };
  const p0 = rateOf(base);
  const alpha = 1 - confidence;
  const variants = counts.map((c): VariantFigures => {
    const rate = rateOf(c);
    const own = { ...c, rate, ci95: wilson(c.converted, c.entered) };
    if (c.key === baseline || rate === null || p0 === null)
      return {
        ...own,
        upliftAbsolute: null,
        upliftRelative: null,
        upliftCi95: null,
        test: c.key === baseline ? null : 'two-proportion-z',
        pValue: null,
        significant: false,
      };
    const diff = rate - p0;
    const half = Z95 * Math.sqrt((rate * (1 - rate)) / c.entered + (p0 * (1 - p0)) / base.entered);
    const z = twoProportionZ(c.converted, c.entered, base.converted, base.entered);
    return {
      ...own,
      upliftAbsolute: diff,
      upliftRelative: p0 === 0 ? null : diff / p0,
      upliftCi95: [diff - half, diff + half],
      test: 'two-proportion-z',
      pValue: z?.pValue ?? null,
      significant: z !== null && z.pValue < alpha,
    };
  });
  const active = counts.filter((c) => c.entered > 0);
  let test: TestFigures;
  // Until two variants have entries, the test named is the one the node's variants will take.
  if (active.length === 2 || (active.length < 2 && counts.length <= 2)) {
    // Against the baseline; when it has no entries, against the first of the two (the baseline rule).
    const against = active.find((c) => c.key === baseline) ?? active[0];
    const other = active.find((c) => c !== against);
    const z =
      other && against ? twoProportionZ(other.converted, other.entered, against.converted, against.entered) : null;
    test = {
      name: 'two-proportion-z',
      statistic: z?.z ?? null,
      df: null,
      pValue: z?.pValue ?? null,
      significant: false,
    };
  } else {
    const chi = chiSquared(active);
    test = {
      name: 'chi-squared',
      statistic: chi?.statistic ?? null,
      df: chi ? chi.df : active.length > 1 ? active.length - 1 : null,
      pValue: chi?.pValue ?? null,
      significant: false,
    };
  }
  test.significant = test.pValue !== null && test.pValue < alpha;
  const needed = sampleSize(p0, confidence);
  const smallest = counts.length ? Math.min(...counts.map((c) => c.entered)) : 0;
  return {
    baseline,
    test,
    sample: {
      lift: 0.1,
      power: 0.8,
      neededPerVariant: needed,
      moreNeededPerVariant: needed === null ? null : Math.max(0, needed - smallest),
    },
    variants,
  };
}

export type AutoDecision =
  | { kind: 'winner'; variant: string; pValue: number | null }
  | { kind: 'no-winner'; reason: 'too-few-contacts' | 'not-significant'; pValue: number | null };

/**
 * The automatic decision at the end of a test period: the non-control variant with the
 * highest rate wins when every variant has `minPerVariant` units and it beats each other
 * variant with a pooled z-test p-value under 1 − confidence (the decision's p-value is the
 * largest of those); a tie at the top wins nothing. A split's only variant has no other to
 * beat: with its `minPerVariant` units it wins, with no p-value.
 */
export function decideWinner(counts: readonly VariantCount[], minPerVariant: number, confidence: number): AutoDecision {
  if (counts.some((c) => c.entered < minPerVariant))
    return { kind: 'no-winner', reason: 'too-few-contacts', pValue: null };
  const ranked = counts
    .filter((c) => c.key !== 'control')
    .map((c) => ({ c, rate: c.converted / c.entered }))
    .sort((a, b) => b.rate - a.rate);
  const best = ranked[0];
  if (!best || (ranked[1] && ranked[1].rate === best.rate))
    return { kind: 'no-winner', reason: 'not-significant', pValue: null };
  let worst: number | null = null;
  for (const other of counts) {
    if (other === best.c) continue;
    const z = twoProportionZ(best.c.converted, best.c.entered, other.converted, other.entered);
    if (!z || z.z <= 0 || z.pValue >= 1 - confidence)
      return { kind: 'no-winner', reason: 'not-significant', pValue: z?.pValue ?? null };
    worst = Math.max(worst ?? 0, z.pValue);
  }
  return { kind: 'winner', variant: best.c.key, pValue: worst };
}
