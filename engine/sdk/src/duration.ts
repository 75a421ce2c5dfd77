import { Duration } from 'luxon';

// Luxon reads `P`, `PT` and a `T` with nothing after it (`P1DT`) as zero; ISO 8601 wants an
// amount after `P`, and one after `T` when it is written.
const NO_AMOUNT = /^-?PT?$|T$/;

/** An ISO 8601 duration read by Luxon, or null when the text is not one. */
function durationOf(text: string): Duration | null {
  if (NO_AMOUNT.test(text)) return null;
  const d = Duration.fromISO(text);
  return d.isValid ? d : null;
}

/**
 * Parses an ISO 8601 duration (`PT30S`, `P7D`) into milliseconds; null when it is not one.
 * Days count as 24 hours here; use {@link addDuration} for calendar-correct arithmetic.
 *
 * @example
 * parseDuration('PT2H') // 7200000
 * parseDuration('PT')   // null
 */
export function parseDuration(text: string): number | null {
  return durationOf(text)?.as('milliseconds') ?? null;
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
