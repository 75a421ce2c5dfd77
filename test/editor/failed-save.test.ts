import type { Dialog, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type EditorSession, hasChromium, openEditor } from '../support/browser.js';
import { TEST_TOKEN } from '../support/runtime.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };

// A journey's draft is saved as it is edited; while the server cannot be reached the last edit
// lives only in the page ("Save failed"), so leaving the page must not drop it without asking.
describe.skipIf(!hasChromium)('a journey whose draft failed to save', () => {
  let s: EditorSession;
  let page: Page;
  let asked: string[];

  beforeAll(async () => {
    s = await openEditor();
  }, 120_000);
  afterAll(() => s?.close());
  beforeEach(async () => {
    asked = [];
    page = await (await s.browser.newContext({ viewport: { width: 1400, height: 850 } })).newPage();
    page.setDefaultTimeout(10_000);
  });
  afterEach(() => page.context().close());

  /** Opens a journey with one tag node, selected, and cuts the page off from the server's draft saves. */
  async function openOffline(name: string): Promise<string> {
    const node = {
      id: 'tag1',
      type: 'crm.tag',
      version: 1,
      params: { action: 'add', tag: 'first' },
      position: { x: 0, y: 0 },
    };
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: { name, graph: { nodes: [node], edges: [] } },
    });
    const id: string = res.json().id;
    await page.goto(`${s.url}/journeys/${id}?token=${TEST_TOKEN}`);
    await page.locator('.svelte-flow__node[data-id="tag1"]').click();
    // As when the server is down: the save's request never gets an answer.
    await page.route('**/api/journeys/*/draft', (route) => route.abort('connectionrefused'));
    await page.getByLabel('Tag', { exact: true }).fill('second');
    await page.getByRole('status').filter({ hasText: 'Save failed' }).waitFor();
    page.on('dialog', (dialog: Dialog) => {
      asked.push(dialog.type());
      dialog.dismiss().catch(() => undefined);
    });
    return id;
  }

  test('leaving it asks first, and staying keeps the edit', async () => {
    const id = await openOffline('Stay');
    await page.getByRole('link', { name: 'Contacts', exact: true }).click();
    await expect.poll(() => asked).toEqual(['confirm']);
    expect(new URL(page.url()).pathname).toBe(`/journeys/${id}`);
    expect(await page.getByLabel('Tag', { exact: true }).inputValue()).toBe('second');
  });

  test('once the server answers again, Retry saves the edit and leaving no longer asks', async () => {
    const id = await openOffline('Retry');
    await page.unroute('**/api/journeys/*/draft');
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await page.getByRole('link', { name: 'Contacts', exact: true }).click();
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
    expect(asked).toEqual([]);
    const draft = (await s.app.inject({ method: 'GET', url: `/api/journeys/${id}`, headers: auth })).json().draft;
    expect(draft.graph.nodes[0].params.tag).toBe('second');
  });
});
