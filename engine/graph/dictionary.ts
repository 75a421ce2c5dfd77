/**
 * A record keyed by names clients choose (node ids, output keys): it has no prototype, so
 * `constructor`, `toString` or `__proto__` is a key like any other, never an inherited value.
 *
 * @example
 * dictionary([['constructor', 1]]).constructor // 1
 */
export function dictionary<T>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [key, value] of entries) out[key] = value;
  return out;
}
