import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium, openJourney } from '../support/browser.js';
import { TEST_TOKEN } from '../support/runtime.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const condition = (filter?: object) => ({
  nodes: [{ id: 'n', type: 'core.condition', version: 1, params: filter ? { filter } : {}, position: { x: 0, y: 0 } }],
  edges: [],
});

// NODES.md "The filter language": a tag clause's optional "count" ({"gte": 2}) and an event
// clause's bound (gte, gt, eq, lte, lt). The comparison a marketer picks is kept while the number
// is being retyped; an empty number box asks for no count, so the filter saved stays a valid one.
describe.skipIf(!hasChromium)("a count's comparison in the filter builder", () => {
  const t = editorPagePerTest();

  async function open(filter?: object): Promise<string> {
    const id = await openJourney(t.s, t.page, 'Counts', condition(filter));
    await t.page.locator('.svelte-flow__node[data-id="n"]').click();
    return id;
  }
  const builder = () => t.page.locator('[data-path="/filter"]');
  const savedFilter = (id: string) => async () =>
    (await t.s.app.inject({ method: 'GET', url: `/api/journeys/${id}`, headers: auth }))
      .json()
      .draft.graph.nodes.find((n: { id: string }) => n.id === 'n')?.params.filter;
  async function serverProblems(id: string): Promise<unknown[]> {
    const res = await t.s.app.inject({ method: 'POST', url: `/api/journeys/${id}/validate`, headers: auth });
    const errors = (res.json().errors ?? []) as { nodeId?: string; path?: string }[];
    return errors.filter((e) => e.nodeId === 'n' && e.path?.startsWith('/filter'));
  }

  test("an event count's comparison stays as picked while its number is cleared and typed again", async () => {
    const id = await open({ event: 'purchase', op: 'count', gte: 2 });
    await builder().getByLabel('Count comparison').selectOption('lte');
    await expect.poll(savedFilter(id), { timeout: 15_000 }).toEqual({ event: 'purchase', op: 'count', lte: 2 });
    await builder().getByLabel('Count', { exact: true }).fill('');
    expect(await builder().getByLabel('Count comparison').inputValue()).toBe('lte');
    await builder().getByLabel('Count', { exact: true }).fill('5');
    expect(await builder().getByLabel('Count comparison').inputValue()).toBe('lte');
    await expect.poll(savedFilter(id), { timeout: 15_000 }).toEqual({ event: 'purchase', op: 'count', lte: 5 });
  });

  test('an event count left empty saves a filter the server takes, without a problem shown', async () => {
    const id = await open({ event: 'purchase', op: 'count', gte: 2 });
    await builder().getByLabel('Count comparison').selectOption('lt');
    await builder().getByLabel('Count', { exact: true }).fill('');
    await expect.poll(savedFilter(id), { timeout: 15_000 }).toEqual({ event: 'purchase', op: 'count' });
    expect(await serverProblems(id)).toEqual([]);
    expect(await builder().getByLabel('Count comparison').inputValue()).toBe('lt');
    expect(await builder().locator('.error-text').allTextContents()).toEqual([]);
  });

  test("a tag's times-added comparison picked before its number is typed is the one saved", async () => {
    const id = await open({ tag: 'vip', op: 'has' });
    await builder().getByLabel('Times added comparison').selectOption('lte');
    expect(await builder().getByLabel('Times added comparison').inputValue()).toBe('lte');
    await builder().getByLabel('Times added', { exact: true }).fill('3');
    await expect.poll(savedFilter(id), { timeout: 15_000 }).toEqual({ tag: 'vip', op: 'has', count: { lte: 3 } });
    expect(await serverProblems(id)).toEqual([]);
  });

  test('a tag count cleared asks for no count, and keeps its comparison for the next number', async () => {
    const id = await open({ tag: 'vip', op: 'has', count: { gt: 1 } });
    await builder().getByLabel('Times added', { exact: true }).fill('');
    await expect.poll(savedFilter(id), { timeout: 15_000 }).toEqual({ tag: 'vip', op: 'has' });
    expect(await builder().getByLabel('Times added comparison').inputValue()).toBe('gt');
    await builder().getByLabel('Times added', { exact: true }).fill('4');
    await expect.poll(savedFilter(id), { timeout: 15_000 }).toEqual({ tag: 'vip', op: 'has', count: { gt: 4 } });
  });

  test('a tag count other than "at least" opens as it was saved', async () => {
    await open({ tag: 'vip', op: 'has', count: { lte: 5 } });
    expect(await builder().getByLabel('Times added comparison').inputValue()).toBe('lte');
    expect(await builder().getByLabel('Times added', { exact: true }).inputValue()).toBe('5');
  });
});
