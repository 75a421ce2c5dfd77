import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { SecretKeys } from '../config/secret-key.js';
import { type EmailLinks, messageLinks } from '../messages/prepare-email.js';

// A preview click token: `p.<base64url of the URL>.<signature>`. It names no message, so the
// click route redirects it and records nothing.
const sign = (keys: SecretKeys, body: string, key = keys.preview.current) =>
  createHmac('sha256', key).update(`p:${body}`).digest('base64url').slice(0, 22);

/**
 * A preview's links, at production's paths: its clicks redirect and record nothing, and its
 * open pixel and unsubscribe link name a message that was never stored (they answer 404 and
 * unsubscribe nobody).
 */
export function previewLinks(keys: SecretKeys, publicUrl: string): EmailLinks {
  const unstored = messageLinks(keys, publicUrl, randomUUID());
  return {
    click: (_index, url) => {
      const body = Buffer.from(url).toString('base64url');
      return `${publicUrl}/t/c/p.${body}.${sign(keys, body)}`;
    },
    open: unstored.open,
    unsubscribe: unstored.unsubscribe,
  };
}

/** The URL a preview click token stands for, or null when it is none or altered. */
export function previewTarget(keys: SecretKeys, token: string): string | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== 'p') return null;
  const body = parts[1] ?? '';
  const given = Buffer.from(parts[2] ?? '');
  const ok = [keys.preview.current, ...keys.preview.previous].some((key) => {
    const expected = Buffer.from(sign(keys, body, key));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  return ok ? Buffer.from(body, 'base64url').toString() : null;
}
