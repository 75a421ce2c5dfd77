import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { JsonObject } from '@waymark/sdk';

const VERSION = 'v1';

/**
 * Encrypts credential data with AES-256-GCM: `v1:<base64 of iv | tag | ciphertext>`.
 *
 * @example
 * const stored = encryptJson(runtime.secretKey, { key: 'sk_live_…' });
 */
export function encryptJson(key: Buffer, data: JsonObject): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
}

/** Decrypts what {@link encryptJson} produced; throws when the key is wrong or the data altered. */
export function decryptJson(key: Buffer, stored: string): JsonObject {
  const [version, body] = stored.split(':', 2);
  if (version !== VERSION || !body) throw new Error('unknown credential encryption format');
  const raw = Buffer.from(body, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as JsonObject;
}
