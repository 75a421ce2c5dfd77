import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium, openJourney } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

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

  // A count saved through the API with two bounds (a range, "2 to 5 times") lost its second
  // bound as soon as anything in the clause was edited.
  test('an event count saved with two bounds opens with both', async () => {
    await open({ event: 'purchase', op: 'count', gte: 2, lte: 5 });
    expect(await builder().getByLabel('Count comparison').inputValue()).toBe('gte');
    expect(await builder().getByLabel('Count', { exact: true }).inputValue()).toBe('2');
    expect(await builder().getByLabel('Count, bound 2 comparison').inputValue()).toBe('lte');
    expect(await builder().getByLabel('Count, bound 2', { exact: true }).inputValue()).toBe('5');
  });

  test('a range opens with its lower bound first, whatever order it was stored in', async () => {
    // PostgreSQL keeps the keys of {"gt": 1, "lt": 5} as lt, gt.
    await open({ event: 'purchase', op: 'count', lt: 5, gt: 1 });
    expect(await builder().getByLabel('Count comparison').inputValue()).toBe('gt');
    expect(await builder().getByLabel('Count, bound 2 comparison').inputValue()).toBe('lt');
  });

  test("editing one bound of an event count's range keeps the other", async () => {
    const id = await open({ event: 'purchase', op: 'count', gte: 2, lte: 5, within: 'P30D' });
    await builder().getByLabel('Count', { exact: true }).fill('3');
    await expect
      .poll(savedFilter(id), { timeout: 15_000 })
      .toEqual({ event: 'purchase', op: 'count', gte: 3, lte: 5, within: 'P30D' });
    await builder().getByLabel('Count, bound 2 comparison').selectOption('lt');
    await expect
      .poll(savedFilter(id), { timeout: 15_000 })
      .toEqual({ event: 'purchase', op: 'count', gte: 3, lt: 5, within: 'P30D' });
  });

  test('editing another part of the clause keeps both bounds of its count', async () => {
    const id = await open({ event: 'purchase', op: 'count', gte: 2, lte: 5 });
    await builder().getByLabel('Within').fill('p7d');
    await expect
      .poll(savedFilter(id), { timeout: 15_000 })
      .toEqual({ event: 'purchase', op: 'count', gte: 2, lte: 5, within: 'P7D' });
  });

  test('a tag count saved with two bounds keeps the one not edited', async () => {
    const id = await open({ tag: 'vip', op: 'has', count: { gte: 2, lte: 5 } });
    expect(await builder().getByLabel('Times added, bound 2', { exact: true }).inputValue()).toBe('5');
    await builder().getByLabel('Times added', { exact: true }).fill('1');
    await expect
      .poll(savedFilter(id), { timeout: 15_000 })
      .toEqual({ tag: 'vip', op: 'has', count: { gte: 1, lte: 5 } });
    await builder().getByLabel('Last added within').fill('p7d');
    await expect
      .poll(savedFilter(id), { timeout: 15_000 })
      .toEqual({ tag: 'vip', op: 'has', count: { gte: 1, lte: 5 }, lastAddedWithin: 'P7D' });
  });

  test("one bound's box cleared drops that bound alone, and its row stays for the next number", async () => {
    const id = await open({ event: 'purchase', op: 'count', gte: 2, lte: 5 });
    await builder().getByLabel('Count, bound 2', { exact: true }).fill('');
    await expect.poll(savedFilter(id), { timeout: 15_000 }).toEqual({ event: 'purchase', op: 'count', gte: 2 });
    expect(await builder().getByLabel('Count, bound 2 comparison').inputValue()).toBe('lte');
    await builder().getByLabel('Count, bound 2', { exact: true }).fill('9');
    await expect.poll(savedFilter(id), { timeout: 15_000 }).toEqual({ event: 'purchase', op: 'count', gte: 2, lte: 9 });
  });

  test('a range is built with "+ bound": "bought 2 to 5 times" is saved as gte and lte', async () => {
    const id = await open({ event: 'purchase', op: 'count', gte: 2 });
    await builder().getByRole('button', { name: 'Add a Count bound' }).click();
    expect(await builder().getByLabel('Count, bound 2 comparison').inputValue()).toBe('lte');
    await builder().getByLabel('Count, bound 2', { exact: true }).fill('5');
    await expect.poll(savedFilter(id), { timeout: 15_000 }).toEqual({ event: 'purchase', op: 'count', gte: 2, lte: 5 });
    expect(await serverProblems(id)).toEqual([]);
    await expect
      .poll(() => t.page.locator('.svelte-flow__node[data-id="n"]').textContent())
      .toContain('purchase ≥ 2 and ≤ 5 times');
  });

  test("a bound's remove button drops that bound and keeps the other", async () => {
    const id = await open({ tag: 'vip', op: 'has', count: { gte: 2, lte: 5 } });
    await builder().getByRole('button', { name: 'Remove Times added', exact: true }).click();
    await expect.poll(savedFilter(id), { timeout: 15_000 }).toEqual({ tag: 'vip', op: 'has', count: { lte: 5 } });
    expect(await builder().getByLabel('Times added comparison').inputValue()).toBe('lte');
    expect(await builder().getByRole('button', { name: 'Add a Times added bound' }).isVisible()).toBe(true);
  });

  test('a comparison another bound already uses is not offered', async () => {
    await open({ event: 'purchase', op: 'count', gte: 2, lte: 5 });
    const taken = builder().getByLabel('Count, bound 2 comparison').locator('option[value="gte"]');
    expect(await taken.isDisabled()).toBe(true);
  });
});
