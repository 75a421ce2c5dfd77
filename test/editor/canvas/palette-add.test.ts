import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium, openJourney } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

const _auth = { authorization: `Bearer ${TEST_TOKEN}` };

// Clicking a palette item (or Enter on it) adds the node in the middle of the view: one click
// after another must not stack the new nodes on each other, nor on a node already there.
describe.skipIf(!hasChromium)('nodes added from the palette', () => {
  const t = editorPagePerTest();

  test('land side by side, never on top of another node', async () => {
    const { s, page } = t;
    await openJourney(s, page, 'Palette');
    const tag = page.getByRole('button', { name: /^Tag contact crm\.tag/ });
    for (let i = 0; i < 4; i++) await tag.click();
    await expect.poll(() => page.locator('.svelte-flow__node').count()).toBe(4);
    const boxes = await page.locator('.svelte-flow__node').evaluateAll((els) =>
      els.map((el) => {
        const r = el.getBoundingClientRect();
        return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
      }),
    );
    const overlapping = boxes.flatMap((a, i) =>
      boxes.slice(i + 1).filter((b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom),
    );
    expect(overlapping).toEqual([]);
  });
});
