import { DateTime, Duration } from 'luxon';

/**
 * The longest duration Waymark takes, in seconds: 1,000 years of 365.25 days (`P1000Y`, 1,000
 * calendar years of 365.2425 days on average, is within it; `P365250D` is the bound). A time that far out is
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
function durationOf(text: string): Read | null {
  let known = reads.get(text);
  if (known === undefined) {
    const duration = readDuration(text);
    known = duration && { duration, ms: duration.as('milliseconds') };
    // Bounded like any cache of texts from outside: a flood of distinct ones starts it afresh.
    if (reads.size >= READS_MAX) reads.clear();
    reads.set(text, known);
  }
  return known;
}

/** A duration as read, and its length. */
interface Read {
  duration: Duration;
  ms: number;
}

// A journey's durations are few texts read for every step (a call's timeout, a wait's length):
// Luxon's ISO reader and its conversion took 37 µs a read, as much as the rest of an
// http.request step's node code. Durations are immutable, so a read one is shared.
const READS_MAX = 1000;
const reads = new Map<string, Read | null>();

function readDuration(text: string): Duration | null {
  if (NO_AMOUNT.test(text)) return null;
  // Months and years measured at their calendar average, so a length matches a calendar add
  // within a day or two (the bound refuses `P12200M`, 1,016 calendar years).
  const d = Duration.fromISO(text, { conversionAccuracy: 'longterm' });
  if (!d.isValid) return null;
  return Object.values(d.toObject()).every((amount) => amount >= 0) ? d : null;
}

/**
 * Parses an ISO 8601 duration (`PT30S`, `P7D`) into milliseconds; null when it is not one or
 * has a negative amount. A length for what has no start (a timeout, a backoff, a refresh
 * interval): days count as 24 hours, months and years at their calendar average (30.436875 and
 * 365.2425 days). A time a duration after or before another is {@link addDuration} and
 * {@link subtractDuration}, which count calendar months and years.
 *
 * @example
 * parseDuration('PT2H') // 7200000
 * parseDuration('PT')   // null
 * parseDuration('-PT1S') // null
 */
export function parseDuration(text: string): number | null {
  return durationOf(text)?.ms ?? null;
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

// The one rule of a duration from or to a time: months and years are calendar ones in UTC
// (a month from Jan 31 is the last of February), days are 24 hours (no contact zone applies).
function shift(from: Date, text: string, sign: 1 | -1): Date {
  const read = durationOf(text);
  if (!read) throw new RangeError(`"${text}" is not an ISO 8601 duration`);
  const d = read.duration;
  // Most durations have no month or year: plain arithmetic, without a calendar (a wait's step
  // computes one for every token).
  if (!d.years && !d.quarters && !d.months) return new Date(from.getTime() + sign * read.ms);
  const start = DateTime.fromJSDate(from, { zone: 'utc' });
  return (sign === 1 ? start.plus(d) : start.minus(d)).toJSDate();
}

/**
 * Adds an ISO 8601 duration to a time, calendar-aware in UTC: `P1M` is one calendar month, `P1Y`
 * one calendar year, the day clamped to the month's last (Jan 31 + `P1M` = Feb 28 or 29); a day
 * is 24 hours. Throws on a bad duration.
 *
 * @example
 * addDuration(new Date('2026-01-31T10:00:00Z'), 'P1M') // 2026-02-28T10:00:00Z
 * addDuration(new Date('2028-01-01T10:00:00Z'), 'P1Y') // 2029-01-01T10:00:00Z
 */
export function addDuration(from: Date, text: string): Date {
  return shift(from, text, 1);
}

/**
 * The time an ISO 8601 duration before `from`, by the rule of {@link addDuration} (Mar 31 −
 * `P1M` = Feb 28 or 29). Throws on a bad duration.
 *
 * @example
 * subtractDuration(new Date('2026-03-31T10:00:00Z'), 'P1M') // 2026-02-28T10:00:00Z
 */
export function subtractDuration(from: Date, text: string): Date {
  return shift(from, text, -1);
}
