import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium, openJourney } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';
import { hookThenTag } from '../canvas-fixtures.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
// Two tabs (or two people) on one draft: the API's draft PUT keeps whatever comes last, so the
// editor checks before each autosave that the draft is still the one it opened, and sends the
// ETag it read as If-Match so a save crossing that check is refused by the server.
describe.skipIf(!hasChromium)('a draft changed elsewhere while open', () => {
  const t = editorPagePerTest();

  const draftTag = async (id: string) =>
    (await t.s.app.inject({ url: `/api/journeys/${id}`, headers: auth }))
      .json()
      .draft.graph.nodes.find((n: { id: string }) => n.id === 'tag').params.tag;
  const saveState = () => t.page.locator('.save[role="status"]').textContent();

  async function open(name: string): Promise<string> {
    const id = await openJourney(t.s, t.page, name, hookThenTag('first'));
    await t.page.locator('.svelte-flow__node[data-id="tag"]').click();
    return id;
  }

  /** What another tab's autosave does. */
  const elsewhere = (id: string, value: string) =>
    t.s.app.inject({
      method: 'PUT',
      url: `/api/journeys/${id}/draft`,
      headers: auth,
      payload: { graph: hookThenTag(value) },
    });

  async function editTag(value: string): Promise<void> {
    await t.page.getByLabel('Tag', { exact: true }).fill(value);
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

  test('a save elsewhere landing between this tab’s check and its save is refused, and says so', async () => {
    const id = await open('Crossed');
    // The other tab saves just as this tab's PUT leaves, after its check read the draft unchanged:
    // the PUT's If-Match names the revision before theirs, and the server answers 412.
    await t.page.route('**/api/journeys/*/draft', async (route) => {
      await elsewhere(id, 'theirs');
      await route.continue();
    });
    await editTag('mine');
    await expect.poll(saveState).toBe('Not saved: changed elsewhere');
    expect(await draftTag(id)).toBe('theirs');
  });

  test('Keep mine saves this tab’s draft over the other', async () => {
    const id = await open('Keep mine');
    await elsewhere(id, 'theirs');
    await editTag('mine');
    await t.page.getByRole('button', { name: 'Keep mine' }).click();
    await expect.poll(() => draftTag(id)).toBe('mine');
    await expect.poll(saveState).toBe('Saved');
  });

  test('Load theirs shows the draft saved elsewhere, and editing it saves again', async () => {
    const id = await open('Load theirs');
    await elsewhere(id, 'theirs');
    await editTag('mine');
    await t.page.getByRole('button', { name: 'Load theirs' }).click();
    await expect
      .poll(() => t.page.locator('.svelte-flow__node[data-id="tag"] [data-testid="node-summary"]').textContent())
      .toBe('Add tag theirs');
    await t.page.locator('.svelte-flow__node[data-id="tag"]').click();
    await editTag('after');
    await expect.poll(() => draftTag(id)).toBe('after');
  });

  test('Publish publishes nothing while the draft was changed elsewhere', async () => {
    const id = await open('No publish');
    await elsewhere(id, 'theirs');
    await editTag('mine');
    await t.page.getByRole('button', { name: 'Publish' }).click();
    await expect
      .poll(() => t.page.locator('.notice').textContent())
      .toContain('Not published: the draft was changed elsewhere');
    const journey = (await t.s.app.inject({ url: `/api/journeys/${id}`, headers: auth })).json();
    expect(journey.versions).toEqual([]);
  });
});
