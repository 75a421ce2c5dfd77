/** ISO 8601 durations as the API uses them (`PT30S`, `P7D`, `P1DT2H`). */
const DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

export function isDuration(text: string): boolean {
  return DURATION.test(text);
}

export type DurationUnit = 'S' | 'M' | 'H' | 'D' | 'W';

/** A single-unit duration (`PT15M`, `P3D`), what the quick builder writes. */
export function buildDuration(amount: number, unit: DurationUnit): string {
  const n = Math.max(0, Math.floor(amount));
  return unit === 'D' || unit === 'W' ? `P${n}${unit}` : `PT${n}${unit}`;
}

/** The amount and unit of a single-unit duration, or null for anything more complex. */
export function splitDuration(text: string): { amount: number; unit: DurationUnit } | null {
  const match = /^P(?:(\d+)([DW])|T(\d+)([HMS]))$/.exec(text);
  if (!match) return null;
  return match[1]
    ? { amount: Number(match[1]), unit: match[2] as DurationUnit }
    : { amount: Number(match[3]), unit: match[4] as DurationUnit };
}

const DATE_UNITS = { Y: 'year', M: 'month', W: 'week', D: 'day' } as const;
const TIME_UNITS = { H: 'hour', M: 'minute', S: 'second' } as const;

function unitWords(part: string, units: Record<string, string>): string[] {
  return [...part.matchAll(/(\d+(?:\.\d+)?)([A-Z])/g)].map(
    ([, n, u]) => `${n} ${units[u ?? ''] ?? u}${n === '1' ? '' : 's'}`,
  );
}

/** An ISO 8601 duration in words (`P3D` → "3 days", `P1DT2H` → "1 day 2 hours"); other text as is. */
export function durationWords(text: string): string {
  if (typeof text !== 'string' || !isDuration(text)) return String(text ?? '');
  const [date = '', time = ''] = text.slice(1).split('T');
  return [...unitWords(date, DATE_UNITS), ...unitWords(time, TIME_UNITS)].join(' ');
}

const SECONDS: Record<string, number> = { W: 604_800, D: 86_400, H: 3_600, M: 60, S: 1 };

/** The seconds of a duration without years or months (`P1DT2H` → 93600), else null. */
export function durationSeconds(text: string): number | null {
  const match = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return null;
  const [w, d, h, m, s] = match.slice(1).map((n) => Number(n ?? 0));
  return w * SECONDS.W + d * SECONDS.D + h * SECONDS.H + m * SECONDS.M + s;
}

/** Seconds as a duration in the largest unit that divides them (86400 → `P1D`, 90 → `PT90S`). */
export function secondsDuration(seconds: number): string {
  const unit = (['W', 'D', 'H', 'M'] as const).find((u) => seconds % SECONDS[u] === 0) ?? 'S';
  return buildDuration(seconds / SECONDS[unit], unit);
}
