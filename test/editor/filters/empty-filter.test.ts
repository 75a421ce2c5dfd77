import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium, openJourney } from '../../support/browser.js';

const node = (id: string, type: string, params: object) => ({ id, type, version: 1, params, position: { x: 0, y: 0 } });

// An empty filter field reads as what it means: an optional one matches everyone, a required one
// (a segment, a condition) is missing, not "everyone".
describe.skipIf(!hasChromium)('an empty filter field', () => {
  const t = editorPagePerTest();

  async function emptyText(type: string, params: object, path: string): Promise<string | null> {
    await openJourney(t.s, t.page, type, { nodes: [node('n', type, params)], edges: [] });
    await t.page.locator('.svelte-flow__node[data-id="n"]').click();
    return t.page.locator(`[data-path="${path}"] .filter-builder .muted`).first().textContent();
  }

  test('a required one says a filter is still to be added', async () => {
    expect(await emptyText('core.segment', { every: 'PT5M' }, '/filter')).toBe(
      'No filter yet: add one to say who it is for.',
    );
  });

  test('an optional one says it matches everyone', async () => {
    expect(await emptyText('core.event', { event: 'signed_up' }, '/filter')).toBe('No filter: matches everyone.');
  });
});
