import { isDateValue } from '../../lib/filter/validate.ts';

/**
 * The value of a `before`/`after` clause as the builder offers it: a calendar date
 * (`2026-01-01`), a number of days ago (`-P30D`) or from now (`P3D`), or any other value the
 * language takes (a date-time with an offset, `-P1M`) as typed text.
 */
export type DateMode = 'date' | 'ago' | 'ahead' | 'exact';

export interface DateValue {
  mode: DateMode;
  /** The date (`YYYY-MM-DD`), the days, or the exact text. */
  text: string;
}

export const DATE_MODES: { mode: DateMode; label: string }[] = [
  { mode: 'date', label: 'date' },
  { mode: 'ago', label: 'days ago' },
  { mode: 'ahead', label: 'days from now' },
  { mode: 'exact', label: 'ISO 8601' },
];

/** How many days a relative value starts at when the builder switches to one. */
const FIRST_DAYS = '30';

/**
 * How the builder shows `value`; `picked` `exact` keeps the typed text (a date typed there
 * would otherwise turn into the date picker under the cursor).
 *
 * @example
 * readDateValue('-P30D') // { mode: 'ago', text: '30' }
 * readDateValue('2026-01-01T09:00:00Z') // { mode: 'exact', text: '2026-01-01T09:00:00Z' }
 */
export function readDateValue(value: unknown, picked?: DateMode): DateValue {
  const text = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (picked === 'exact') return { mode: 'exact', text };
  if (text === '') return { mode: picked ?? 'date', text };
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return { mode: 'date', text };
  const days = /^(-?)P(\d+)D$/.exec(text);
  if (days) return { mode: days[1] ? 'ago' : 'ahead', text: days[2] ?? '' };
  return { mode: 'exact', text };
}

/** The clause's value for `text` in `mode`; undefined when nothing is given. */
export function writeDateValue({ mode, text }: DateValue): string | undefined {
  const given = text.trim();
  if (!given) return undefined;
  if (mode === 'ago' || mode === 'ahead') return `${mode === 'ago' ? '-' : ''}P${given}D`;
  // `2026-01-01t09:00z` and `-p1m` are meant as the language writes them.
  return mode === 'exact' && isDateValue(given.toUpperCase()) ? given.toUpperCase() : given;
}

/** The value after switching `from` to `mode`: a number of days is kept, a date only as a date. */
export function switchDateMode(from: DateValue, mode: DateMode): string | undefined {
  const relative = (m: DateMode) => m === 'ago' || m === 'ahead';
  if (relative(mode)) return writeDateValue({ mode, text: relative(from.mode) ? from.text : FIRST_DAYS });
  if (mode === 'exact') return writeDateValue(from);
  return from.mode === 'date' ? writeDateValue(from) : undefined;
}
