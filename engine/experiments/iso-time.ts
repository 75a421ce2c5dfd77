import { isDateTime } from '../date-time.js';

/** A date, or a date and time with an optional zone, as ISO 8601 writes them. */
const ISO_TIME = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * An ISO 8601 time as API.md writes times (in UTC when it names no zone), or null for any
 * other text: `new Date` alone would take `1` as the year 2001, read a zone-less time in the
 * server's own zone and roll `2026-02-30` over to March 2. The text, completed to RFC 3339,
 * must pass the one date-time rule (`isDateTime`): a day its month has, hours 00–23, minutes
 * and seconds 00–59.
 *
 * @example
 * isoTime('2026-12-01T10:30') // 2026-12-01T10:30:00.000Z
 * isoTime('2026-02-30') // null
 */
export function isoTime(text: string): Date | null {
  const m = ISO_TIME.exec(text);
  if (!m) return null;
  const [, date, minutes, seconds, zone] = m;
  const full = minutes === undefined ? `${date}T00:00:00Z` : `${date}T${minutes}${seconds ?? ':00'}${zone ?? 'Z'}`;
  return isDateTime(full) ? new Date(full) : null;
}
