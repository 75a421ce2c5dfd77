import { ValidationError } from '@waymark/sdk';

/** A keyset cursor of a list's last entry (its keys as text): base64url, opaque to clients. */
export const encodeCursor = (keys: string): string => Buffer.from(keys).toString('base64url');

/**
 * The keys of a cursor this API gave out, read by `parse` (null: not keys of this list);
 * anything else is a 400 at `/cursor`.
 *
 * @example
 * const id = decodeCursor(cursor, (text) => (isUuid(text) ? text : null));
 */
export function decodeCursor<T>(cursor: string, parse: (keys: string) => T | null): T {
  const keys = parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (keys === null)
    throw new ValidationError('cursor is not one this API gave out', [{ path: '/cursor', message: 'unknown cursor' }]);
  return keys;
}
