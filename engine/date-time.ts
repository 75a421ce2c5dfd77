import { fullFormats } from 'ajv-formats/dist/formats.js';

const rfc3339 = fullFormats['date-time'] as { validate: (text: string) => boolean };

/**
 * Whether `text` is a date-time as API.md writes them: RFC 3339 with its zone (a day its month
 * has, hours 00–23, minutes and seconds 00–59, an offset within ±23:59) that a `Date` holds.
 * The one rule for a time a request names: the request validators' `date-time` format and the
 * analytics' `from` and `to` use it. ajv-formats' `date-time` alone also takes a leap second
 * (`23:59:60`), which a `Date` cannot hold; `Date` alone rolls `2026-02-30` over to March 2.
 *
 * @example
 * isDateTime('2028-02-29T10:00:00Z') // true
 * isDateTime('2026-02-30T10:00:00Z') // false
 */
export function isDateTime(text: string): boolean {
  return rfc3339.validate(text) && Number.isFinite(Date.parse(text));
}
