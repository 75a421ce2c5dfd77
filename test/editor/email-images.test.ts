import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type EditorSession, hasChromium, openEditor } from '../support/browser.js';
import { TEST_TOKEN } from '../support/runtime.js';

// An email's own images (a shop's CDN) and web fonts in the editor's previews: a preview frame's
// `srcdoc` inherits the page's Content-Security-Policy, which must let each frame show what its own
// policy allows — the template preview at once, the outbox only when asked (it counts as an open).
describe.skipIf(!hasChromium)('an email’s remote images and fonts in the browser', () => {
  let s: EditorSession;
  let images: Server;
  let cdn: string;
  const fetched: string[] = [];
  const refused: string[] = [];
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };

  beforeAll(async () => {
    images = createServer((req, res) => {
      fetched.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/gif' }).end(Buffer.from('R0lGODlhAQABAAAAACw=', 'base64'));
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    cdn = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
    s = await openEditor();
    // Google Fonts, stood in for at the browser's network layer (the machine has no internet).
    await s.page.route('https://fonts.googleapis.com/**', (route) => {
      fetched.push(route.request().url());
      return route.fulfill({
        contentType: 'text/css',
        body: "@font-face { font-family: 'Raleway'; src: url(https://fonts.gstatic.com/s/raleway/v1/r.woff2) format('woff2'); }",
      });
    });
    await s.page.route('https://fonts.gstatic.com/**', (route) => {
      fetched.push(route.request().url());
      return route.fulfill({ status: 404, body: '' });
    });
    s.page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) refused.push(message.text());
    });
    await s.page.goto(`${s.url}/?token=${TEST_TOKEN}`);
  }, 120_000);
  afterAll(async () => {
    await s?.close();
    images?.closeAllConnections();
    await new Promise((resolve) => images?.close(resolve));
  });

  const template = (name: string, image: string) => ({
    name,
    format: 'html',
    subject: 'Sale',
    body: `<p>Sale</p><img src="${cdn}/${image}" alt="Sale">`,
  });

  test('show in the template preview', async () => {
    await s.app.inject({
      method: 'PUT',
      url: '/api/templates/promo',
      headers: auth,
      payload: template('Promo', 'preview.gif'),
    });
    await s.page.goto(`${s.url}/templates/promo`);
    await expect.poll(() => fetched.includes('/preview.gif'), { timeout: 20_000 }).toBe(true);
  }, 60_000);

  test('show in the outbox once asked for, not before', async () => {
    await s.app.inject({
      method: 'PUT',
      url: '/api/templates/mailed',
      headers: auth,
      payload: template('Mailed', 'outbox.gif'),
    });
    const sent = await s.app.inject({
      method: 'POST',
      url: '/api/templates/mailed/send-test',
      headers: auth,
      payload: { to: 'qa@example.com', from: 'shop@example.com' },
    });
    expect(sent.statusCode, sent.body).toBeLessThan(300);
    await s.page.goto(`${s.url}/outbox`);
    await s.page.locator('tr.clickable', { hasText: 'qa@example.com' }).first().click();
    const frame = s.page.frameLocator('iframe[title="Message HTML"]');
    await expect.poll(() => frame.getByText('Sale').isVisible()).toBe(true);
    expect(fetched).not.toContain('/outbox.gif');
    await s.page.getByLabel(/Load remote images/).check();
    await expect.poll(() => fetched.includes('/outbox.gif'), { timeout: 20_000 }).toBe(true);
  }, 60_000);

  test('load a template’s web fonts in the template preview, with nothing refused', async () => {
    refused.length = 0;
    const saved = await s.app.inject({
      method: 'PUT',
      url: '/api/templates/fonts',
      headers: auth,
      payload: {
        name: 'Fonts',
        format: 'mjml',
        subject: 'Sale',
        body: `<mjml><mj-head><mj-font name="Raleway" href="https://fonts.googleapis.com/css?family=Raleway" /></mj-head>
          <mj-body><mj-section><mj-column><mj-text font-family="Raleway, Arial">Sale</mj-text></mj-column></mj-section></mj-body></mjml>`,
      },
    });
    expect(saved.statusCode, saved.body).toBe(201);
    await s.page.goto(`${s.url}/templates/fonts`);
    const preview = s.page.getByTitle('Email preview');
    await expect
      .poll(() => preview.getAttribute('srcdoc', { timeout: 40_000 }), {
        timeout: 40_000,
        message: 'the preview holds the stylesheet link',
      })
      .toContain('https://fonts.googleapis.com/css?family=Raleway');
    // In view: Chromium lays out an off-screen frame of another origin (a sandboxed one) only
    // when it must, and a font is fetched only once text set in it is laid out.
    await preview.scrollIntoViewIfNeeded({ timeout: 20_000 });
    await expect
      .poll(() => fetched, { timeout: 40_000, message: 'the stylesheet was fetched' })
      .toContain('https://fonts.googleapis.com/css?family=Raleway');
    await expect
      .poll(() => fetched.some((url) => url.startsWith('https://fonts.gstatic.com/')), {
        timeout: 40_000,
        message: 'the font was fetched',
      })
      .toBe(true);
    expect(refused).toEqual([]);
  }, 150_000);
});
