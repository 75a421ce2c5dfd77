import { Duration } from 'luxon';

/**
 * The longest duration Waymark takes, in seconds: 1,000 years of 365.25 days (`P1000Y`, which
 * Luxon counts in 365-day years, is within it; `P365250D` is the bound). A time that far out is
 * still one PostgreSQL and a JavaScript Date hold (`timestamptz` ends in 294276 AD, a Date in
 * 275760 AD, an ISO string past 9999 AD is no longer one PostgreSQL reads); no wait or lifespan
 * anyone means is longer.
 */
export const DURATION_MAX_SECONDS = 31_557_600_000;

/** How an error names {@link DURATION_MAX_SECONDS}: `${where} must be ${DURATION_BOUND_TEXT}`. */
export const DURATION_BOUND_TEXT = 'at most 1000 years (P365250D)';

// Luxon reads `P`, `PT` and a `T` with nothing after it (`P1DT`) as zero; ISO 8601 wants an
// amount after `P`, and one after `T` when it is written.
const NO_AMOUNT = /^-?PT?$|T$/;

/**
 * An ISO 8601 duration read by Luxon, or null when the text is not one. Luxon also reads signed
 * amounts (`-PT1S`, `PT-1H`); a wait, a tag's lifespan or a retention period of negative length
 * means nothing here, and taken as such it would end in the past, so they are not durations.
 */
function durationOf(text: string): Duration | null {
  if (NO_AMOUNT.test(text)) return null;
  const d = Duration.fromISO(text);
  if (!d.isValid) return null;
  return Object.values(d.toObject()).every((amount) => amount >= 0) ? d : null;
}

/**
 * Parses an ISO 8601 duration (`PT30S`, `P7D`) into milliseconds; null when it is not one or
 * has a negative amount.
 * Days count as 24 hours here; use {@link addDuration} for calendar-correct arithmetic.
 *
 * @example
 * parseDuration('PT2H') // 7200000
 * parseDuration('PT')   // null
 * parseDuration('-PT1S') // null
 */
export function parseDuration(text: string): number | null {
  return durationOf(text)?.as('milliseconds') ?? null;
}

/**
 * Whether a duration read by {@link parseDuration} is within {@link DURATION_MAX_SECONDS}.
 *
 * @example
 * isDurationWithinBound(parseDuration('P1000Y')) // true
 * isDurationWithinBound(parseDuration('P99999Y')) // false
 */
export function isDurationWithinBound(ms: number | null): ms is number {
  return ms !== null && ms <= DURATION_MAX_SECONDS * 1000;
}

/**
 * Adds an ISO 8601 duration to a time, calendar-aware (`P1M` is one month). Throws on a bad duration.
 *
 * @example
 * addDuration(new Date('2026-01-31T00:00:00Z'), 'P1D') // 2026-02-01T00:00:00Z
 */
export function addDuration(from: Date, text: string): Date {
  const d = durationOf(text);
  if (!d) throw new RangeError(`"${text}" is not an ISO 8601 duration`);
  return new Date(from.getTime() + d.as('milliseconds'));
}
