import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type EditorSession, hasChromium, openEditor } from '../support/browser.js';
import { TEST_TOKEN } from '../support/runtime.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const hook = {
  id: 'hook',
  type: 'core.webhook',
  version: 1,
  params: { secret: 'a-secret-of-16-chars' },
  position: { x: 0, y: 0 },
};
const tag = (value: string) => ({
  id: 'tag',
  type: 'crm.tag',
  version: 1,
  params: { action: 'add', tag: value },
  position: { x: 0, y: 200 },
});
const graph = (value: string) => ({
  nodes: [hook, tag(value)],
  edges: [{ id: 'e1', source: 'hook', sourceHandle: 'out', target: 'tag' }],
});

// Two tabs (or two people) on one draft: the API's draft PUT keeps whatever comes last, so the
// editor checks before each autosave that the draft is still the one it opened.
describe.skipIf(!hasChromium)('a draft changed elsewhere while open', () => {
  let s: EditorSession;
  let page: Page;

  beforeAll(async () => {
    s = await openEditor();
  }, 120_000);
  afterAll(() => s?.close());
  beforeEach(async () => {
    page = await (await s.browser.newContext({ viewport: { width: 1400, height: 850 } })).newPage();
    page.setDefaultTimeout(10_000);
  });
  afterEach(() => page.context().close());

  const draftTag = async (id: string) =>
    (await s.app.inject({ url: `/api/journeys/${id}`, headers: auth }))
      .json()
      .draft.graph.nodes.find((n: { id: string }) => n.id === 'tag').params.tag;
  const saveState = () => page.locator('.save[role="status"]').textContent();

  async function open(name: string): Promise<string> {
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: { name, graph: graph('first') },
    });
    const id: string = res.json().id;
    await page.goto(`${s.url}/journeys/${id}?token=${TEST_TOKEN}`);
    await page.locator('.svelte-flow__node[data-id="tag"]').click();
    return id;
  }

  /** What another tab's autosave does. */
  const elsewhere = (id: string, value: string) =>
    s.app.inject({ method: 'PUT', url: `/api/journeys/${id}/draft`, headers: auth, payload: { graph: graph(value) } });

  async function editTag(value: string): Promise<void> {
    await page.getByLabel('Tag', { exact: true }).fill(value);
  }

  test('this tab’s own saves, one after another, are saved', async () => {
    const id = await open('Own saves');
    for (const value of ['second', 'third', 'fourth']) {
      await editTag(value);
      await expect.poll(() => draftTag(id)).toBe(value);
    }
    await expect.poll(saveState).toBe('Saved');
  });

  test('an edit here does not overwrite one saved elsewhere, and says so', async () => {
    const id = await open('Held back');
    await elsewhere(id, 'theirs');
    await editTag('mine');
    await expect.poll(saveState).toBe('Not saved: changed elsewhere');
    expect(await draftTag(id)).toBe('theirs');
  });

  test('Keep mine saves this tab’s draft over the other', async () => {
    const id = await open('Keep mine');
    await elsewhere(id, 'theirs');
    await editTag('mine');
    await page.getByRole('button', { name: 'Keep mine' }).click();
    await expect.poll(() => draftTag(id)).toBe('mine');
    await expect.poll(saveState).toBe('Saved');
  });

  test('Load theirs shows the draft saved elsewhere, and editing it saves again', async () => {
    const id = await open('Load theirs');
    await elsewhere(id, 'theirs');
    await editTag('mine');
    await page.getByRole('button', { name: 'Load theirs' }).click();
    await expect
      .poll(() => page.locator('.svelte-flow__node[data-id="tag"] [data-testid="node-summary"]').textContent())
      .toBe('Add tag theirs');
    await page.locator('.svelte-flow__node[data-id="tag"]').click();
    await editTag('after');
    await expect.poll(() => draftTag(id)).toBe('after');
  });

  test('Publish publishes nothing while the draft was changed elsewhere', async () => {
    const id = await open('No publish');
    await elsewhere(id, 'theirs');
    await editTag('mine');
    await page.getByRole('button', { name: 'Publish' }).click();
    await expect
      .poll(() => page.locator('.notice').textContent())
      .toContain('Not published: the draft was changed elsewhere');
    const journey = (await s.app.inject({ url: `/api/journeys/${id}`, headers: auth })).json();
    expect(journey.versions).toEqual([]);
  });
});
