import { afterAll, beforeAll, describe, expect, test } from 'vitest';
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
const tag = (value: string, x: number) => ({
  id: 'tag',
  type: 'crm.tag',
  version: 1,
  params: { action: 'add', tag: value },
  position: { x, y: 200 },
});
const graph = (value: string, x: number) => ({
  nodes: [hook, tag(value, x)],
  edges: [{ id: 'e1', source: 'hook', sourceHandle: 'out', target: 'tag' }],
});

// "Changes since publishing" in the canvas's words: the node by its title, the change by its
// field's label, not `tag /params/tag /position/x`.
describe.skipIf(!hasChromium)('the draft’s changes since publishing', () => {
  let s: EditorSession;

  beforeAll(async () => {
    s = await openEditor();
    s.page.setDefaultTimeout(10_000);
  }, 120_000);
  afterAll(() => s?.close());

  test('name the changed node by its title and what changed by its field’s label', async () => {
    const { page } = s;
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: { name: 'Diff', graph: graph('first', 0) },
    });
    const id = res.json().id;
    await s.app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: auth });
    await s.app.inject({
      method: 'PUT',
      url: `/api/journeys/${id}/draft`,
      headers: auth,
      payload: { graph: graph('second', 40) },
    });
    await page.goto(`${s.url}/journeys/${id}?token=${TEST_TOKEN}`);
    await page.getByRole('tab', { name: 'Versions' }).click();
    await page.getByRole('button', { name: 'Diff draft against v1' }).click();
    const changed = page.locator('dt.changed');
    await expect.poll(() => changed.allTextContents()).toEqual([expect.stringMatching(/^\s*Changed Tag contact\s*$/)]);
    expect((await page.locator('dt.changed + dd').textContent())?.replace(/\s+/g, ' ').trim()).toBe('Tag, moved');
  });
});
