import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SecretKeys } from '../config/secret-key.js';
import { type EmailLinks, messageLinks } from '../messages/compose/prepare-email.js';

// A preview click token: `p.<base64url of the URL>.<expiry>.<signature>`, the expiry in Unix
// seconds and signed with the URL. It names no message, so the click route redirects it and
// records nothing.

/**
 * How long a preview's (or test send's) links redirect. Whoever may preview can put any URL in
 * a link, so a link that never expired would be a signed open redirect on our domain, fit for
 * phishing; a week still covers reviewing a test send at leisure.
 */
export const PREVIEW_LINK_LIFETIME_SECONDS = 7 * 24 * 60 * 60;

const sign = (keys: SecretKeys, signed: string, key = keys.preview.current) =>
  createHmac('sha256', key).update(`p:${signed}`).digest('base64url').slice(0, 22);

/**
 * A preview's links, at production's paths: its clicks redirect (until they expire) and record
 * nothing, and its open pixel and unsubscribe link are those of `messageId`, a message that is
 * never stored (they answer 404 and unsubscribe nobody). `now` is when the preview is made (ms,
 * the runtime's clock).
 */
export function previewLinks(keys: SecretKeys, publicUrl: string, now: number, messageId: string): EmailLinks {
  const unstored = messageLinks(keys, publicUrl, messageId);
  const expires = Math.floor(now / 1000) + PREVIEW_LINK_LIFETIME_SECONDS;
  return {
    click: (_index, url) => {
      const signed = `${Buffer.from(url).toString('base64url')}.${expires}`;
      return `${publicUrl}/t/c/p.${signed}.${sign(keys, signed)}`;
    },
    open: unstored.open,
    unsubscribe: unstored.unsubscribe,
  };
}

/**
 * The URL a preview click token stands for, or null when it is none, altered or expired at
 * `now` (ms, the runtime's clock). A token of the older form without an expiry is none: it would redirect forever.
 */
export function previewTarget(keys: SecretKeys, token: string, now: number): string | null {
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== 'p') return null;
  const [body = '', expires = ''] = parts.slice(1);
  const signed = `${body}.${expires}`;
  const given = Buffer.from(parts[3] ?? '');
  const ok = [keys.preview.current, ...keys.preview.previous].some((key) => {
    const expected = Buffer.from(sign(keys, signed, key));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!ok || !/^\d+$/.test(expires) || Number(expires) * 1000 <= now) return null;
  return Buffer.from(body, 'base64url').toString();
}
