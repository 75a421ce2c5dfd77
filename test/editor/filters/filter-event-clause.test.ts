import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium, openJourney } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

// NODES.md "The filter language": an event clause is { event, op: "count", <bound>, within?, where? }.
// A filter built with the builder's controls alone is one the server takes as it is.
describe.skipIf(!hasChromium)('an event clause built in the filter builder', () => {
  const t = editorPagePerTest();
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };

  test('is saved as the filter language has it, and the server finds no problem in it', async () => {
    const node = { id: 'n', type: 'core.condition', version: 1, params: {}, position: { x: 0, y: 0 } };
    const id = await openJourney(t.s, t.page, 'Bought twice', { nodes: [node], edges: [] });
    const page = t.page;
    await page.locator('.svelte-flow__node[data-id="n"]').click();
    const filter = page.locator('[data-path="/filter"]');
    await filter.getByRole('button', { name: '+ Add filter' }).click();
    await filter.getByRole('button', { name: 'Remove clause' }).click();
    await filter.getByLabel('Add clause').selectOption('event');
    await filter.getByLabel('event name').fill('purchase');
    await filter.getByLabel('Count', { exact: true }).fill('2');
    await filter.getByLabel('Within').fill('p90d');
    await filter.getByRole('button', { name: '+ where' }).click();
    await filter.getByLabel('attr name').fill('total');
    await filter.getByLabel('Operator').selectOption('gte');
    await filter.getByLabel('Value').fill('10');

    const draftFilter = async () =>
      (await t.s.app.inject({ method: 'GET', url: `/api/journeys/${id}`, headers: auth }))
        .json()
        .draft.graph.nodes.find((n: { id: string }) => n.id === 'n')?.params.filter;
    const built = {
      all: [
        {
          event: 'purchase',
          op: 'count',
          gte: 2,
          within: 'P90D',
          where: { all: [{ attr: 'total', op: 'gte', value: 10 }] },
        },
      ],
    };
    await expect.poll(draftFilter, { timeout: 15_000 }).toEqual(built);
    const checked = await t.s.app.inject({ method: 'POST', url: `/api/journeys/${id}/validate`, headers: auth });
    expect(checked.statusCode).toBe(200);
    const problems = (checked.json().errors ?? []) as { nodeId?: string; path?: string }[];
    expect(problems.filter((p) => p.nodeId === 'n' && p.path?.startsWith('/filter'))).toEqual([]);
    expect(await page.locator('[data-path="/filter"] .error-text').allTextContents()).toEqual([]);
  });
});
