/**
 * Escapes one key for a JSON pointer (RFC 6901): `~` → `~0`, `/` → `~1`.
 *
 * @example
 * `/headers/${pointerKey('a/b')}` // '/headers/a~1b'
 */
export const pointerKey = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
