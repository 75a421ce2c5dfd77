import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const tag = (id: string, x: number, y: number) => ({
  id,
  type: 'crm.tag',
  version: 1,
  params: { action: 'add', tag: id },
  position: { x, y },
});
const flowPosition = (page: Page, id: string) =>
  page.locator(`.svelte-flow__node[data-id="${id}"]`).evaluate((el) => (el as HTMLElement).style.transform);

describe.skipIf(!hasChromium)('a daily user’s comforts', () => {
  let s: EditorSession;

  beforeAll(async () => {
    s = await openEditor();
    s.page.setDefaultTimeout(10_000);
  }, 120_000);
  afterAll(() => s?.close());

  async function create(name: string, nodes: object[] = [], tags: string[] = []): Promise<string> {
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: { name, graph: { nodes, edges: [] }, tags },
    });
    return res.json().id;
  }

  test('"?" lists the keyboard shortcuts, Esc closes the list', async () => {
    const id = await create('Shortcuts', [tag('one', 0, 0), tag('two', 400, 0)]);
    await s.page.goto(`${s.url}/journeys/${id}?token=${TEST_TOKEN}`);
    await s.page.locator('.svelte-flow__node').first().waitFor();
    await s.page.locator('.svelte-flow__pane').click();
    await s.page.keyboard.press('?');
    const help = s.page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await expect.poll(() => help.isVisible()).toBe(true);
    const text = await help.textContent();
    for (const what of ['Undo', 'Select every node', 'Zoom to fit', 'Delete the selected nodes and edges']) {
      expect(text).toContain(what);
    }
    await s.page.keyboard.press('Escape');
    await expect.poll(() => help.isVisible()).toBe(false);
  });

  test('select all, then dragging one node moves them all; undo puts them back', async () => {
    const before = [await flowPosition(s.page, 'one'), await flowPosition(s.page, 'two')];
    await s.page.keyboard.press('Control+a');
    await expect.poll(() => s.page.locator('.svelte-flow__node.selected').count()).toBe(2);
    const box = (await s.page.locator('.svelte-flow__node[data-id="one"] header').boundingBox())!;
    await s.page.mouse.move(box.x + 20, box.y + 5);
    await s.page.mouse.down();
    await s.page.mouse.move(box.x + 80, box.y + 85, { steps: 8 });
    await s.page.mouse.up();
    const after = [await flowPosition(s.page, 'one'), await flowPosition(s.page, 'two')];
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    await s.page.waitForTimeout(400); // the history records a drag once it settles
    await s.page.keyboard.press('Control+z');
    await expect.poll(() => flowPosition(s.page, 'two')).toBe(before[1]);
  });

  test('the journey list filters by name, status and last change', async () => {
    await create('Spring sale');
    const live = await create('Spring welcome', [
      {
        id: 'hook',
        type: 'core.webhook',
        version: 1,
        params: { secret: 'a-secret-of-16-chars' },
        position: { x: 0, y: 0 },
      },
    ]);
    await s.app.inject({ method: 'POST', url: `/api/journeys/${live}/publish`, headers: auth });
    await s.page.goto(`${s.url}/`);
    const names = () => s.page.locator('table tbody tr td:first-child').allTextContents();
    await s.page.getByLabel('Search journeys').fill('spring');
    await expect
      .poll(async () => (await names()).map((n) => n.trim()).sort())
      .toEqual(['Spring sale', 'Spring welcome']);
    await s.page.getByLabel('Status').selectOption('live');
    await expect.poll(async () => (await names()).map((n) => n.trim())).toEqual(['Spring welcome']);
    await s.page.getByLabel('Status').selectOption('');
    await s.page.getByLabel('Updated').selectOption('day');
    await expect.poll(async () => (await names()).length).toBe(2);
  });

  test('tags given in a journey’s settings show on the list, which filters by them', async () => {
    const sale = await create('Autumn sale');
    await create('Autumn news', [], ['newsletter']);
    await s.page.goto(`${s.url}/journeys/${sale}`);
    await s.page.getByRole('tab', { name: 'Settings' }).click();
    for (const tag of ['promo', 'q4']) {
      await s.page.getByLabel('Add a tag').fill(tag);
      await s.page.getByLabel('Add a tag').press('Enter');
    }
    const chips = s.page.getByRole('list', { name: 'Journey tags' }).getByRole('listitem');
    await expect
      .poll(async () => (await chips.allTextContents()).map((t) => t.replace('×', '').trim()))
      .toEqual(['promo', 'q4']);
    // Saved before the page is left: leaving stops a save still on its way.
    const saved = async () =>
      (await s.app.inject({ method: 'GET', url: `/api/journeys/${sale}`, headers: auth })).json().tags;
    await expect.poll(saved, { timeout: 15_000 }).toEqual(['promo', 'q4']);

    await s.page.goto(`${s.url}/`);
    const names = () => s.page.locator('table tbody tr td:first-child a').allTextContents();
    await s.page.getByLabel('Search journeys').fill('autumn');
    await expect.poll(async () => (await names()).sort()).toEqual(['Autumn news', 'Autumn sale']);
    await s.page.getByLabel('Tag', { exact: true }).selectOption('promo');
    await expect.poll(names).toEqual(['Autumn sale']);
    // A journey's tag on the list filters by it too.
    await s.page.getByLabel('Tag', { exact: true }).selectOption('');
    await s.page.locator('table').getByRole('button', { name: 'newsletter', exact: true }).click();
    await expect.poll(names).toEqual(['Autumn news']);
    expect(await s.page.getByLabel('Tag', { exact: true }).inputValue()).toBe('newsletter');
  });
});
