import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium, openJourney } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';
import { hookThenTag } from '../canvas-fixtures.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
// "Changes since publishing" in the canvas's words: the node by its title, the change by its
// field's label, not `tag /params/tag /position/x`.
describe.skipIf(!hasChromium)('the draft’s changes since publishing', () => {
  const t = editorPagePerTest();

  test('name the changed node by its title and what changed by its field’s label', async () => {
    const { s, page } = t;
    const id = await openJourney(s, page, 'Diff', hookThenTag('first', 0));
    await s.app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: auth });
    await s.app.inject({
      method: 'PUT',
      url: `/api/journeys/${id}/draft`,
      headers: auth,
      payload: { graph: hookThenTag('second', 40) },
    });
    await page.reload();
    await page.getByRole('tab', { name: 'Versions' }).click();
    await page.getByRole('button', { name: 'Diff draft against v1' }).click();
    const changed = page.locator('dt.changed');
    await expect.poll(() => changed.allTextContents()).toEqual([expect.stringMatching(/^\s*Changed Tag contact\s*$/)]);
    expect((await page.locator('dt.changed + dd').textContent())?.replace(/\s+/g, ' ').trim()).toBe('Tag, moved');
  });
});
