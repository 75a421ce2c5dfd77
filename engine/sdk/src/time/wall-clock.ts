import { DateTime, IANAZone } from 'luxon';

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/**
 * True when `zone` is an IANA time zone name (`Europe/Helsinki`, `UTC`, `Etc/GMT+5`, any case):
 * the one rule for a contact's zone and a node's. Luxon also sets `system`, `local` and offsets
 * (`UTC+5`), which are no IANA names (and `system` follows the server's zone).
 *
 * @example
 * isTimeZone('europe/helsinki') // true
 * isTimeZone('UTC+5') // false
 */
export function isTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/**
 * A time zone as IANA spells it (`europe/helsinki` → `Europe/Helsinki`), or null when it is
 * none. Only the case changes: a link (`Etc/UTC`, `US/Eastern`) stays as given.
 *
 * @example
 * timeZoneName('utc') // 'UTC'
 */
export function timeZoneName(text: string): string | null {
  if (!isTimeZone(text)) return null;
  const canonical = new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone;
  return canonical.toLowerCase() === text.toLowerCase() ? canonical : text;
}

// How far apart the two instants of a wall-clock time shown twice can be (DST shifts are 30 min to 2 h).
const REPEATS = [-120, -60, -30, 30, 60, 120].map((minutes) => minutes * 60_000);

/**
 * Every instant at which the wall clock shows what `candidate` shows, in order: one, or two
 * when the clocks fall back over it (luxon resolves such a time to one of them, not always
 * the first).
 */
function shownAt(candidate: DateTime): number[] {
  const ms = candidate.toMillis();
  const shows = (at: number) => {
    const local = DateTime.fromMillis(at, { zone: candidate.zone });
    return (
      local.year === candidate.year &&
      local.month === candidate.month &&
      local.day === candidate.day &&
      local.hour === candidate.hour &&
      local.minute === candidate.minute
    );
  };
  return [ms, ...REPEATS.map((shift) => ms + shift).filter(shows)].sort((a, b) => a - b);
}

/**
 * The instant the clocks jumped forward over a time they never showed: luxon moves such a time
 * past the gap by the gap's length (02:30 in a 02:00–03:00 gap reads 03:30), but the first
 * instant the wall clock is past it is the jump itself (03:00). Found by halving the 3 hours
 * before `shifted` (no gap is longer) down to the millisecond where its offset began.
 */
function gapEnd(shifted: DateTime): number {
  let before = shifted.toMillis() - 3 * 3_600_000;
  let after = shifted.toMillis();
  while (after - before > 1) {
    const middle = Math.floor((before + after) / 2);
    if (DateTime.fromMillis(middle, { zone: shifted.zone }).offset === shifted.offset) after = middle;
    else before = middle;
  }
  return after;
}

/**
 * The first instant after `from` at which the wall clock in `zone` shows `time` (`HH:MM`) on
 * one of `days` (every day when omitted): today when still ahead, correct across
 * daylight-saving changes. A time skipped by a spring-forward gap is taken just after the
 * gap; a time shown twice (fall back) is taken the first time.
 *
 * @example
 * nextWallClockTime(new Date('2026-03-28T12:00:00Z'), '09:00', 'Europe/Helsinki')
 * // 2026-03-29T06:00:00Z (09:00 EEST, the day after the clocks went forward)
 */
export function nextWallClockTime(from: Date, time: string, zone: string, days?: readonly string[]): Date {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!match) throw new RangeError(`"${time}" is not a time of day (HH:MM)`);
  const start = DateTime.fromJSDate(from, { zone });
  if (!start.isValid) throw new RangeError(`"${zone}" is not a time zone`);
  const allowed = days && days.length > 0 ? new Set(days) : null;
  for (let offset = 0; offset <= 8; offset++) {
    const day = start.plus({ days: offset });
    const candidate = DateTime.fromObject(
      { year: day.year, month: day.month, day: day.day, hour: Number(match[1]), minute: Number(match[2]) },
      { zone },
    );
    if (allowed && !allowed.has(WEEKDAYS[candidate.weekday - 1] as Weekday)) continue;
    const skipped = candidate.hour !== Number(match[1]) || candidate.minute !== Number(match[2]);
    const next = (skipped ? [gapEnd(candidate)] : shownAt(candidate)).find((ms) => ms > from.getTime());
    if (next !== undefined) return new Date(next);
  }
  throw new RangeError('no allowed day in the week');
}

/**
 * Whether `at` falls inside the daily window `start`–`end` (`HH:MM`, the end excluded) on the
 * wall clock of `zone`; a window may wrap midnight (`21:00`–`08:00`).
 *
 * @example
 * inDailyWindow(new Date('2026-01-01T22:00:00Z'), '21:00', '08:00', 'UTC') // true
 */
export function inDailyWindow(at: Date, start: string, end: string, zone: string): boolean {
  const local = DateTime.fromJSDate(at, { zone });
  const minutes = local.hour * 60 + local.minute;
  const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const s = toMinutes(start);
  const e = toMinutes(end);
  if (s === e) return false;
  return s < e ? minutes >= s && minutes < e : minutes >= s || minutes < e;
}
