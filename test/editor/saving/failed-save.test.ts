import type { Dialog } from 'playwright-core';
import { beforeEach, describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium, openJourney } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };

// A journey's draft is saved as it is edited; while the server cannot be reached the last edit
// lives only in the page ("Save failed"), so leaving the page must not drop it without asking.
describe.skipIf(!hasChromium)('a journey whose draft failed to save', () => {
  const t = editorPagePerTest();
  let asked: string[];

  beforeEach(async () => {
    asked = [];
  });

  /** Opens a journey with one tag node, selected, and cuts the page off from the server's draft saves. */
  async function openOffline(name: string): Promise<string> {
    const node = {
      id: 'tag1',
      type: 'crm.tag',
      version: 1,
      params: { action: 'add', tag: 'first' },
      position: { x: 0, y: 0 },
    };
    const id = await openJourney(t.s, t.page, name, { nodes: [node], edges: [] });
    await t.page.locator('.svelte-flow__node[data-id="tag1"]').click();
    // As when the server is down: the save's request never gets an answer.
    await t.page.route('**/api/journeys/*/draft', (route) => route.abort('connectionrefused'));
    await t.page.getByLabel('Tag', { exact: true }).fill('second');
    await t.page.getByRole('status').filter({ hasText: 'Save failed' }).waitFor();
    t.page.on('dialog', (dialog: Dialog) => {
      asked.push(dialog.type());
      dialog.dismiss().catch(() => undefined);
    });
    return id;
  }

  test('says why it failed in text on the page, not only in a tooltip', async () => {
    await openOffline('Why');
    const reason = t.page.getByRole('alert').filter({ hasText: /\S/ }).first();
    await reason.waitFor();
    expect(await reason.isVisible()).toBe(true);
    expect((await reason.textContent())?.trim()).not.toBe('');
    expect(await t.page.getByRole('status').filter({ hasText: 'Save failed' }).getAttribute('title')).toBeNull();
  });

  test('a save the server refuses shows its message beside "Save failed"', async () => {
    await openOffline('Refused');
    await t.page.unroute('**/api/journeys/*/draft');
    await t.page.route('**/api/journeys/*/draft', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'unavailable', message: 'the database is not reachable' } }),
      }),
    );
    await t.page.getByRole('button', { name: 'Retry' }).click();
    await t.page.getByRole('alert').filter({ hasText: 'the database is not reachable' }).waitFor();
    expect(await t.page.getByRole('status').filter({ hasText: 'Save failed' }).isVisible()).toBe(true);
  });

  test('leaving it asks first, and staying keeps the edit', async () => {
    const id = await openOffline('Stay');
    await t.page.getByRole('link', { name: 'Contacts', exact: true }).click();
    await expect.poll(() => asked).toEqual(['confirm']);
    expect(new URL(t.page.url()).pathname).toBe(`/journeys/${id}`);
    expect(await t.page.getByLabel('Tag', { exact: true }).inputValue()).toBe('second');
  });

  test('once the server answers again, Retry saves the edit and leaving no longer asks', async () => {
    const id = await openOffline('Retry');
    await t.page.unroute('**/api/journeys/*/draft');
    await t.page.getByRole('button', { name: 'Retry' }).click();
    await t.page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await t.page.getByRole('link', { name: 'Contacts', exact: true }).click();
    await t.page.getByRole('heading', { name: 'Contacts' }).waitFor();
    expect(asked).toEqual([]);
    const draft = (await t.s.app.inject({ method: 'GET', url: `/api/journeys/${id}`, headers: auth })).json().draft;
    expect(draft.graph.nodes[0].params.tag).toBe('second');
  });
});
