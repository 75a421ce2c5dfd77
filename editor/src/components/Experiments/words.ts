import type { Experiment, ExperimentVariant } from '../../lib/api/experiments.ts';

const pct = (x: number) => `${Math.round(x * 100)} %`;

/**
 * The experiment's p-value in words, for the variant furthest from the baseline:
 * "94 % likely that B beats A — not yet significant" (1 − p/2, the one-sided chance).
 */
export function pValueInWords(e: Experiment): string {
  const base = e.variants.find((v) => v.key === e.baseline);
  const others = e.variants.filter(
    (v): v is ExperimentVariant & { pValue: number } => v.key !== e.baseline && v.pValue !== null,
  );
  if (!base || others.length === 0) return 'Not enough data yet to compare the variants.';
  const best = others.reduce((a, b) => (b.pValue < a.pValue ? b : a));
  const ahead = (best.rate ?? 0) >= (base.rate ?? 0);
  const [winner, loser] = ahead ? [best.key, base.key] : [base.key, best.key];
  const verdict = best.pValue < 1 - e.confidence ? `significant at ${pct(e.confidence)}` : 'not yet significant';
  // Rounding would claim certainty: past 99 % say so instead of "100 %".
  const chance = 1 - best.pValue / 2;
  const likely = chance >= 0.995 ? 'over 99 %' : pct(chance);
  return `${likely} likely that ${winner.toUpperCase()} beats ${loser.toUpperCase()} — ${verdict}`;
}

/** The sample-size guidance in words. */
export function sampleInWords(e: Experiment): string {
  const more = e.sample.moreNeededPerVariant;
  if (more === null) return 'Sample guidance appears once the baseline has conversions.';
  if (more === 0) return `Enough contacts to detect a ${pct(e.sample.lift)} lift.`;
  return `Needs about ${more} more contacts per variant to detect a ${pct(e.sample.lift)} lift.`;
}

/** A rate as a percentage with one decimal, or a dash. */
export const rateText = (rate: number | null) => (rate === null ? '–' : `${(rate * 100).toFixed(1)} %`);
