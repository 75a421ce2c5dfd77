/**
 * The keys a JSON pointer names, decoded (RFC 6901: `~1` is `/`, `~0` is `~`); `''` names none.
 *
 * @example
 * pointerKeys('/fields/2/a~1b') // ['fields', '2', 'a/b']
 */
export function pointerKeys(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((key) => key.replace(/~1/g, '/').replace(/~0/g, '~'));
}
