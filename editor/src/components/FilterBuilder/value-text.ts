import type { JsonValue } from '../../lib/api/types/json.ts';

/**
 * A clause value typed as text: JSON literals (numbers, true, "quoted", [lists]) keep their
 * type, anything else is a string. `in`/`nin` take a comma-separated list.
 */
export function parseValue(text: string, list: boolean): JsonValue {
  if (list) return text.split(',').map((part) => parseValue(part.trim(), false));
  const trimmed = text.trim();
  if (/^(-?\d+(\.\d+)?|true|false|null|".*"|\[.*\])$/.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as JsonValue;
    } catch {
      return text;
    }
  }
  return text;
}

export function showValue(value: JsonValue | undefined, list: boolean): string {
  if (value === undefined) return '';
  if (list && Array.isArray(value)) return value.map((v) => showValue(v, false)).join(', ');
  return typeof value === 'string' ? value : JSON.stringify(value);
}
