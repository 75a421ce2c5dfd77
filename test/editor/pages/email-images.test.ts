import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';
import { e, hook, n } from '../../test-runs/support.js';

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

  test('are not asked for in a test run’s preview, nor is its open pixel, and nothing is refused', async () => {
    refused.length = 0;
    const pixels: string[] = [];
    s.page.on('request', (request) => {
      if (request.url().includes('/t/o/')) pixels.push(request.url());
    });
    const mail = {
      from: 'shop@example.com',
      subject: 'Sale',
      html: `<p>Sale</p><img src="${cdn}/test-run.gif" alt="Sale">`,
      category: 'marketing',
    };
    const graph = { nodes: [hook(), n('mail', 'email.send', mail)], edges: [e('hook', 'mail')] };
    const made = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: { name: 'Sale', graph },
    });
    await s.page.goto(`${s.url}/journeys/${made.json().id}`);
    await s.page.getByRole('tab', { name: 'Test' }).click();
    await s.page.getByLabel('Contact email').fill('ann@example.com');
    await s.page.getByRole('button', { name: 'Run test' }).click();
    const message = s.page.locator('details.message');
    await expect.poll(() => message.count(), { timeout: 15_000 }).toBe(1);
    await message.locator('summary').click();
    const frame = s.page.frameLocator('iframe[title="Rendered message mail"]');
    await expect.poll(() => frame.getByText('Sale').isVisible()).toBe(true);
    // The message does hold the open pixel (the last image); its preview must not ask for it.
    const srcdoc = await s.page.locator('iframe[title="Rendered message mail"]').getAttribute('srcdoc');
    expect(srcdoc?.match(/<img [^>]*width="1" height="1"/g)).toHaveLength(1);
    await s.page.waitForTimeout(500); // a refusal is logged as the frame loads: give it time to arrive
    expect(refused).toEqual([]);
    expect(pixels).toEqual([]);
    expect(fetched).not.toContain('/test-run.gif');
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
    const stylesheet = 'https://fonts.googleapis.com/css?family=Raleway';
    // CI runs on a loaded machine (sessions 35 and 38) saw the frame hold the link and Chromium
    // never ask for it within 40 s; the page is opened afresh then. A refusal would still show.
    for (let attempt = 0; attempt < 3 && !fetched.includes(stylesheet); attempt++) {
      await s.page.goto(`${s.url}/templates/fonts`);
      const preview = s.page.getByTitle('Email preview');
      await expect
        .poll(() => preview.getAttribute('srcdoc', { timeout: 40_000 }), {
          timeout: 40_000,
          message: 'the preview holds the stylesheet link',
        })
        .toContain(stylesheet);
      // In view: Chromium lays out an off-screen frame of another origin (a sandboxed one) only
      // when it must, and a font is fetched only once text set in it is laid out.
      await preview.scrollIntoViewIfNeeded({ timeout: 20_000 });
      await expect
        .poll(() => fetched.includes(stylesheet), { timeout: 15_000 })
        .toBe(true)
        .catch(() => undefined);
    }
    expect(fetched, 'the stylesheet was fetched').toContain(stylesheet);
    await expect
      .poll(() => fetched.some((url) => url.startsWith('https://fonts.gstatic.com/')), {
        timeout: 40_000,
        message: 'the font was fetched',
      })
      .toBe(true);
    expect(refused).toEqual([]);
  }, 240_000);
});
