/** A date, or a date and time with an optional zone, as ISO 8601 writes them. */
const ISO_TIME = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * An ISO 8601 time as API.md writes times (in UTC when it names no zone), or null for any
 * other text: `new Date` alone would take `1` as the year 2001 and read a zone-less time in
 * the server's own zone.
 *
 * @example
 * isoTime('2026-12-01T10:30') // 2026-12-01T10:30:00.000Z
 */
export function isoTime(text: string): Date | null {
  const m = ISO_TIME.exec(text);
  if (!m) return null;
  const [, date, time, zone] = m;
  const at = new Date(time === undefined ? `${date}T00:00:00Z` : `${date}T${time}${zone ?? 'Z'}`);
  return Number.isNaN(at.getTime()) ? null : at;
}
