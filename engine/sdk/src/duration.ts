import { Duration } from 'luxon';

/**
 * Parses an ISO 8601 duration (`PT30S`, `P7D`) into milliseconds; null when it is not one.
 * Days count as 24 hours here; use {@link addDuration} for calendar-correct arithmetic.
 *
 * @example
 * parseDuration('PT2H') // 7200000
 */
export function parseDuration(text: string): number | null {
  const d = Duration.fromISO(text);
  return d.isValid ? d.as('milliseconds') : null;
}

/**
 * Adds an ISO 8601 duration to a time, calendar-aware (`P1M` is one month). Throws on a bad duration.
 *
 * @example
 * addDuration(new Date('2026-01-31T00:00:00Z'), 'P1D') // 2026-02-01T00:00:00Z
 */
export function addDuration(from: Date, text: string): Date {
  const d = Duration.fromISO(text);
  if (!d.isValid) throw new RangeError(`"${text}" is not an ISO 8601 duration`);
  return new Date(from.getTime() + d.as('milliseconds'));
}
