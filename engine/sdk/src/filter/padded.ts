/**
 * A clause value's strings that begin or end with whitespace. They are compared as written (a
 * value may hold spaces on purpose), so `plan equals "pro "` matches no contact whose plan is
 * `pro`: worth a word to the marketer, never a refusal. For an `in` list, each of its strings.
 *
 * @example
 * paddedStrings(['pro ', 'team']) // ['pro ']
 */
export function paddedStrings(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values.filter((v): v is string => typeof v === 'string' && v !== v.trim());
}

/** What to tell the marketer of a clause value with padded strings, or null when it has none. */
export function paddedValueNote(value: unknown): string | null {
  const padded = paddedStrings(value);
  if (!padded.length) return null;
  const shown = padded.map((v) => JSON.stringify(v)).join(', ');
  return `${shown} ${padded.length > 1 ? 'begin or end' : 'begins or ends'} with a space: it matches only values with the same space`;
}
