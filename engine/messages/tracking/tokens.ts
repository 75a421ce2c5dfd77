import { createHmac, timingSafeEqual } from 'node:crypto';
import { type KeyPurpose, keysOf, type SecretKeys } from '../../config/secret-key.js';

/** What a token stands for: a click on link `index`, an open, an unsubscribe, a reply, or a bounce. */
export type TokenKind = 'c' | 'o' | 'u' | 'r' | 'b';

export interface TokenTarget {
  messageId: string;
  /** The link's index (click tokens only). */
  index?: number;
}

const UUID_HEX = /^[0-9a-f]{32}$/;

/** Each kind of token has a key of its own: a token made for one kind never verifies as another. */
const PURPOSE: Record<TokenKind, KeyPurpose> = { c: 'click', o: 'open', u: 'unsubscribe', r: 'reply', b: 'bounce' };

function signature(key: Buffer, kind: TokenKind, body: string): string {
  return createHmac('sha256', key).update(`${kind}:${body}`).digest('base64url').slice(0, 22);
}

/**
 * A signed token naming a message (and a link of it): tracking and unsubscribe links carry
 * it, so an altered token points nowhere and no row is needed per link.
 *
 * @example
 * signToken(runtime.keys, 'c', { messageId, index: 0 }) // '9f…c1.0.Jx…'
 */
export function signToken(keys: SecretKeys, kind: TokenKind, target: TokenTarget): string {
  const body = target.messageId.replace(/-/g, '') + (target.index !== undefined ? `.${target.index}` : '');
  return `${body}.${signature(keys[PURPOSE[kind]].current, kind, body)}`;
}

/**
 * The target of a token, or null when it is malformed or no key of its kind signed it (the
 * current key, then the previous `WAYMARK_SECRET_KEY`'s, then the undivided key of earlier
 * versions, so that links in emails already sent keep working).
 */
export function verifyToken(keys: SecretKeys, kind: TokenKind, token: string): TokenTarget | null {
  const parts = token.split('.');
  const hex = parts[0] ?? '';
  const hasIndex = kind === 'c';
  if (parts.length !== (hasIndex ? 3 : 2) || !UUID_HEX.test(hex)) return null;
  if (hasIndex && !/^\d{1,5}$/.test(parts[1] ?? '')) return null;
  const body = parts.slice(0, -1).join('.');
  const given = Buffer.from(parts[parts.length - 1] ?? '');
  const signed = keysOf(keys[PURPOSE[kind]]).some((key) => {
    const expected = Buffer.from(signature(key, kind, body));
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!signed) return null;
  const messageId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return hasIndex ? { messageId, index: Number(parts[1]) } : { messageId };
}
