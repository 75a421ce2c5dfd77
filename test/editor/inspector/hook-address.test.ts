import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

// API.md "Webhook triggers": a published journey's webhook node takes calls at
// POST /hooks/<journeyId>/<nodeId>. The inspector of such a node gives that address.
describe.skipIf(!hasChromium)('the webhook address in the inspector', () => {
  let s: EditorSession;
  let page: Page;
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };
  const secret = 'hook-address-secret-0123456789';

  async function journey(trigger: { type: string; params: object }, publish: boolean): Promise<string> {
    const made = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: {
        name: 'Signups',
        graph: {
          nodes: [
            { id: 'signup', ...trigger, version: 1, position: { x: 0, y: 0 } },
            { id: 'done', type: 'core.exit', version: 1, params: {}, position: { x: 0, y: 150 } },
          ],
          edges: [{ id: 'e1', source: 'signup', sourceHandle: 'out', target: 'done' }],
        },
      },
    });
    const id = made.json().id;
    if (publish)
      expect(
        (await s.app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: auth })).statusCode,
      ).toBe(201);
    return id;
  }

  async function inspect(id: string): Promise<void> {
    await page.goto(`${s.url}/journeys/${id}`);
    await page.locator('.svelte-flow__node[data-id="signup"]').click({ timeout: 15_000 });
  }

  beforeAll(async () => {
    s = await openEditor();
    page = s.page;
    await page.goto(`${s.url}/?token=${TEST_TOKEN}`);
    await page.getByRole('heading', { name: 'Journeys' }).waitFor({ timeout: 15_000 });
  }, 120_000);
  afterAll(() => s?.close());

  test('a published webhook trigger shows the address its calls start runs at', async () => {
    const id = await journey({ type: 'core.webhook', params: { secret } }, true);
    await inspect(id);
    const field = page.getByLabel('Webhook URL');
    await expect.poll(() => field.inputValue(), { timeout: 15_000 }).toBe(`${s.url}/hooks/${id}/signup`);
    const call = await fetch(await field.inputValue(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-waymark-secret': secret },
      body: JSON.stringify({ email: 'hook-address@example.com' }),
    });
    expect(call.status).toBe(202);
  });

  test('a draft says its calls start runs once published', async () => {
    const id = await journey({ type: 'core.webhook', params: { secret } }, false);
    await inspect(id);
    await page.getByLabel('Webhook URL').waitFor({ timeout: 15_000 });
    await expect
      .poll(() => page.getByRole('region', { name: 'Webhook address' }).textContent())
      .toContain('once the journey is published');
  });

  test('a trigger that takes no calls shows no address', async () => {
    const id = await journey({ type: 'core.event', params: { event: 'signed_up' } }, false);
    await inspect(id);
    await page.getByRole('heading', { name: 'Contact event', level: 2 }).waitFor({ timeout: 15_000 });
    expect(await page.getByLabel('Webhook URL').count()).toBe(0);
  });
});
