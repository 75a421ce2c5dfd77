import type { JsonValue } from '../json.js';
import {
  addDuration,
  DURATION_BOUND_TEXT,
  isDurationWithinBound,
  parseDuration,
  subtractDuration,
} from '../time/duration.js';

// A day its month has: 01–28 in any month, 29 and 30 in all but February, 31 in the long
// months, 29 February in a leap year (every 4th; a century every 400th). No year 0000: a
// PostgreSQL timestamp has none.
const CALENDAR_DAY =
  '(?:(?!0000)[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)' +
  '|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29)';
// Hours 00–23, minutes and seconds 00–59 (no leap second), a zone always: a time without one
// names no instant. Offsets within ±14:59, the ones in use (PostgreSQL refuses past ±15:59).
const TIME_OF_DAY =
  'T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]+)?)?(?:Z|[+-](?:0[0-9]|1[0-4]):[0-5][0-9])';

/**
 * The one rule of a stored value that `before`/`after` read as an instant: a date
 * (`2026-01-01`, its 00:00 UTC) or a date-time with `Z` or an offset, in ISO 8601's extended
 * form. Written in the regex dialect JavaScript and PostgreSQL share: the SQL compiler guards
 * its cast with this very text, so a value that is no instant is false there, never an error.
 */
export const INSTANT_PATTERN = `^${CALENDAR_DAY}(?:${TIME_OF_DAY})?$`;

/** Digits of a second past the millisecond, dropped in SQL and in memory alike (a Date holds milliseconds). */
export const SUB_MILLISECOND = '([.][0-9]{3})[0-9]+';

const INSTANT = new RegExp(INSTANT_PATTERN);
const PAST_MILLISECOND = new RegExp(SUB_MILLISECOND);

/**
 * The instant a stored value names, in milliseconds, or null when it is no string of
 * {@link INSTANT_PATTERN} (a number, other text, absent). A date alone is its 00:00 UTC.
 *
 * @example
 * instantOf('2026-01-01') // Date.parse('2026-01-01T00:00:00Z')
 * instantOf('2026-02-30') // null
 */
export function instantOf(value: JsonValue | undefined): number | null {
  if (typeof value !== 'string' || !INSTANT.test(value)) return null;
  return Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value.replace(PAST_MILLISECOND, '$1'));
}

/** The duration of a relative value (`-P30D` → `P30D`) and whether it reaches back, or null. */
function relative(text: string): { duration: string; past: boolean } | null {
  const past = text.startsWith('-');
  const duration = past ? text.slice(1) : text;
  return duration.startsWith('P') ? { duration, past } : null;
}

/**
 * Why `value` is no value of a `before`/`after` clause, or null when it is one: an instant of
 * {@link INSTANT_PATTERN}, or an ISO 8601 duration from now, `-` before it for the past.
 */
export function boundProblem(value: unknown): string | null {
  const shape =
    'an ISO 8601 date (2026-01-01), a date-time with Z or an offset (2026-01-01T09:00:00+02:00) ' +
    'or a duration from now (-P30D: 30 days ago, P3D: 3 days from now)';
  if (typeof value !== 'string') return `needs ${shape}`;
  if (instantOf(value) !== null) return null;
  const r = relative(value);
  const ms = r ? parseDuration(r.duration) : null;
  if (ms === null) return `needs ${shape}; got "${value}"`;
  return isDurationWithinBound(ms) ? null : `needs a duration from now of ${DURATION_BOUND_TEXT}; got "${value}"`;
}

/**
 * The instant a `before`/`after` clause's value names at `now`, in milliseconds: an absolute
 * one as {@link instantOf} reads it, a duration counted from `now` (calendar-aware, as a
 * window's `within` is); null for a value {@link boundProblem} refuses.
 *
 * @example
 * boundOf('-P30D', new Date('2026-03-31T00:00:00Z')) // Date.parse('2026-03-01T00:00:00Z')
 */
export function boundOf(value: JsonValue | undefined, now: Date): number | null {
  if (boundProblem(value) !== null || typeof value !== 'string') return null;
  const r = relative(value);
  if (!r) return instantOf(value);
  return (r.past ? subtractDuration(now, r.duration) : addDuration(now, r.duration)).getTime();
}
