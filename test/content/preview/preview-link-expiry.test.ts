import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PREVIEW_LINK_LIFETIME_SECONDS } from '../../../engine/content/preview-links.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// A preview's click links carry an expiry inside their signature: past it, or altered, the
// click route refuses them (404 as for any unknown link) rather than redirect to whatever URL
// the previewer wrote.

const clock = { now: new Date('2026-12-01T12:00:00Z') };
const LIFETIME_MS = PREVIEW_LINK_LIFETIME_SECONDS * 1000;
const TARGET = 'https://shop.example.com/sale';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://mail.example.com' }, { clock: { now: () => clock.now } });
});
afterAll(async () => {
  await t.close();
});

/** The path of the click link of a preview made now. */
async function previewLink(): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/templates/x/preview',
    headers: t.auth,
    payload: { draft: { format: 'html', subject: 'S', body: `<a href="${TARGET}">go</a>` } },
  });
  const link = /href="https:\/\/mail\.example\.com(\/t\/c\/[^"]+)"/.exec(res.json().html)?.[1];
  if (!link) throw new Error('the preview has no tracked link');
  return link;
}

const click = (path: string) => t.app.inject({ url: path });

/** The click route's answer to a link it will not follow. */
const refused = { statusCode: 404, code: 'not_found' };
const answerOf = (res: Awaited<ReturnType<typeof click>>) => ({
  statusCode: res.statusCode,
  code: res.statusCode === 302 ? undefined : res.json().error.code,
});

describe('preview click links expire', () => {
  test('a fresh preview link redirects to its target', async () => {
    const res = await click(await previewLink());
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe(TARGET);
  });

  test('a preview link still redirects just before its lifetime ends', async () => {
    const link = await previewLink();
    const made = clock.now;
    clock.now = new Date(made.getTime() + LIFETIME_MS - 1000);
    try {
      expect((await click(link)).headers.location).toBe(TARGET);
    } finally {
      clock.now = made;
    }
  });

  test('a preview link past its lifetime is refused as an unknown link is', async () => {
    const link = await previewLink();
    const made = clock.now;
    clock.now = new Date(made.getTime() + LIFETIME_MS);
    try {
      expect(answerOf(await click(link))).toEqual(refused);
    } finally {
      clock.now = made;
    }
  });

  test('a preview link whose expiry was moved later is refused', async () => {
    const link = await previewLink();
    const [prefix, body, expires, signature] = link.split('.');
    const later = [prefix, body, String(Number(expires) + LIFETIME_MS / 1000), signature].join('.');
    expect(answerOf(await click(later))).toEqual(refused);
  });

  test('a preview link of the older form, signed without an expiry, is refused', async () => {
    const body = Buffer.from(TARGET).toString('base64url');
    const signature = createHmac('sha256', t.runtime.keys.preview.current)
      .update(`p:${body}`)
      .digest('base64url')
      .slice(0, 22);
    expect(answerOf(await click(`/t/c/p.${body}.${signature}`))).toEqual(refused);
  });
});
