import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SecretKeys } from '../config/secret-key.js';

const UUID_HEX = /^[0-9a-f]{32}$/;
const sign = (key: Buffer, body: string) =>
  createHmac('sha256', key).update(`f:${body}`).digest('base64url').slice(0, 22);

/** The token of a double opt-in confirmation link: its id, signed. */
export function confirmationToken(keys: SecretKeys, id: string): string {
  const body = id.replace(/-/g, '');
  return `${body}.${sign(keys.form.current, body)}`;
}

/** The confirmation id a token names, or null when it is malformed or altered. */
export function confirmationOf(keys: SecretKeys, token: string): string | null {
  const [hex = '', signature = '', ...rest] = token.split('.');
  if (rest.length || !UUID_HEX.test(hex)) return null;
  const given = Buffer.from(signature);
  const ok = [keys.form.current, ...keys.form.previous].some((key) => {
    const expected = Buffer.from(sign(key, hex));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  return ok
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
    : null;
}
