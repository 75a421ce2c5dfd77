import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { JsonObject } from '@waymark/sdk';
import { type KeyRing, keysOf } from '../config/secret-key.js';

const VERSION = 'v1';

/**
 * Encrypts credential data with AES-256-GCM under the ring's current key:
 * `v1:<base64 of iv | tag | ciphertext>`.
 *
 * @example
 * const stored = encryptJson(runtime.keys.credentials, { key: 'sk_live_…' });
 */
export function encryptJson(ring: KeyRing, data: JsonObject): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', ring.current, iv);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
}

function decryptWith(key: Buffer, raw: Buffer): JsonObject | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as JsonObject;
  } catch {
    return null;
  }
}

/**
 * Decrypts what {@link encryptJson} produced, trying the ring's current key and then the keys
 * it still accepts; `current` says whether the current key did it. Throws when no key fits or
 * the data was altered.
 */
export function decryptJsonWithKey(ring: KeyRing, stored: string): { data: JsonObject; current: boolean } {
  const [version, body] = stored.split(':', 2);
  if (version !== VERSION || !body) throw new Error('unknown credential encryption format');
  const raw = Buffer.from(body, 'base64');
  if (raw.length < 28) throw new Error('credential data is truncated');
  for (const [i, key] of keysOf(ring).entries()) {
    const data = decryptWith(key, raw);
    if (data) return { data, current: i === 0 };
  }
  throw new Error('no secret key decrypts this credential (altered, or made under another WAYMARK_SECRET_KEY)');
}

/** Decrypts what {@link encryptJson} produced under this ring's current or an accepted key; throws otherwise. */
export function decryptJson(ring: KeyRing, stored: string): JsonObject {
  return decryptJsonWithKey(ring, stored).data;
}
