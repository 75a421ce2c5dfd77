import type { SecretKeys } from '../config/secret-key.js';
import { signToken, verifyToken } from '../messages/tracking/tokens.js';

/** What an address of ours receives: replies (`reply+<token>`) or delivery reports (`bounce`, `bounce+<token>`). */
export type InboundAddressKind = 'reply' | 'bounce';

export interface InboundAddress {
  kind: InboundAddressKind;
  /** The message its token names; null without a token or when the token does not verify. */
  messageId: string | null;
}

/**
 * The Reply-To of an email to a contact: the signed token names the message, so a reply
 * finds it without a lookup table.
 *
 * @example
 * replyAddress(runtime.keys, messageId, 'in.example.com') // 'reply+9f…c1.Jx…@in.example.com'
 */
export function replyAddress(keys: SecretKeys, messageId: string, domain: string): string {
  return `reply+${signToken(keys, 'r', { messageId })}@${domain}`;
}

/**
 * The envelope sender (Return-Path) of an email: delivery reports come back to it and name
 * the message by its token (VERP).
 *
 * @example
 * bounceAddress(runtime.keys, messageId, 'in.example.com') // 'bounce+9f…c1.Kq…@in.example.com'
 */
export function bounceAddress(keys: SecretKeys, messageId: string, domain: string): string {
  return `bounce+${signToken(keys, 'b', { messageId })}@${domain}`;
}

/**
 * What `address` stands for when it is one of ours at `domain`, else null. Any `reply+…` or
 * `bounce…` local part is ours, a damaged token included: such mail is still taken and then
 * matched by its headers (a relay may have changed the token's case).
 */
export function inboundAddress(address: string, domain: string, keys: SecretKeys): InboundAddress | null {
  const at = address.lastIndexOf('@');
  if (at < 1 || address.slice(at + 1).toLowerCase() !== domain.toLowerCase()) return null;
  const local = /^(reply|bounce)(?:\+(.+))?$/i.exec(address.slice(0, at));
  if (!local) return null;
  const kind = (local[1] as string).toLowerCase() as InboundAddressKind;
  const token = local[2];
  if (kind === 'reply' && token === undefined) return null;
  const target = token ? verifyToken(keys, kind === 'reply' ? 'r' : 'b', token) : null;
  return { kind, messageId: target?.messageId ?? null };
}
