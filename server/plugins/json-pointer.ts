/**
 * A JSON pointer (RFC 6901) to a place in a body: `~` and `/` in a key are escaped, so a key
 * such as `a/b` is named as one key.
 *
 * @example
 * pointer(['data', 'a/b']); // '/data/a~1b'
 */
export function pointer(keys: readonly (string | number)[]): string {
  return keys.map((key) => `/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
