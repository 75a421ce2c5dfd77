import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium, openJourney } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

const node = (id: string, type: string, params: object) => ({ id, type, version: 1, params, position: { x: 0, y: 0 } });

// nodes/README.md "Date comparisons in filters": an attr clause "is before"/"is after" a date,
// a number of days ago or from now, or any ISO 8601 value typed; the builder writes the
// language's value (`2000-01-01`, `-P30D`, `P3D`) and the server takes it as it is.
describe.skipIf(!hasChromium)('a date comparison in the filter builder', () => {
  const t = editorPagePerTest();
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };

  async function draftFilter(id: string): Promise<unknown> {
    const res = await t.s.app.inject({ method: 'GET', url: `/api/journeys/${id}`, headers: auth });
    return res.json().draft.graph.nodes.find((n: { id: string }) => n.id === 'n')?.params.filter;
  }

  test('"signed up in the last 30 days" and "born before 2000" are saved as the language has them', async () => {
    const start = { all: [{ attr: 'signedUpAt', op: 'eq', value: 'x' }] };
    const id = await openJourney(t.s, t.page, 'Recent', {
      nodes: [node('n', 'core.condition', { filter: start })],
      edges: [],
    });
    const page = t.page;
    await page.locator('.svelte-flow__node[data-id="n"]').click();
    const filter = page.locator('[data-path="/filter"]');
    await filter.getByLabel('Operator').selectOption({ label: 'is after' });
    await filter.getByLabel('Compared with').selectOption({ label: 'days ago' });
    await filter.getByLabel('Days').fill('30');
    await expect
      .poll(() => draftFilter(id), { timeout: 15_000 })
      .toEqual({ all: [{ attr: 'signedUpAt', op: 'after', value: '-P30D' }] });
    await expect
      .poll(() => page.locator('.svelte-flow__node[data-id="n"]').textContent())
      .toContain('signedUpAt is after 30 days ago');

    await filter.getByLabel('attr name').fill('birthday');
    await filter.getByLabel('Operator').selectOption({ label: 'is before' });
    await filter.getByLabel('Compared with').selectOption({ label: 'date' });
    await filter.getByLabel('Date').fill('2000-01-01');
    await expect
      .poll(() => draftFilter(id), { timeout: 15_000 })
      .toEqual({ all: [{ attr: 'birthday', op: 'before', value: '2000-01-01' }] });
    const checked = await t.s.app.inject({ method: 'POST', url: `/api/journeys/${id}/validate`, headers: auth });
    const problems = (checked.json().errors ?? []) as { nodeId?: string; path?: string }[];
    expect(problems.filter((p) => p.nodeId === 'n' && p.path?.startsWith('/filter'))).toEqual([]);
    expect(await filter.locator('.error-text').allTextContents()).toEqual([]);
  });

  test('"in 3 days" keeps its days when switched from days ago', async () => {
    const start = { attr: 'trialEndsAt', op: 'before', value: '-P3D' };
    const id = await openJourney(t.s, t.page, 'Trial', {
      nodes: [node('n', 'core.condition', { filter: start })],
      edges: [],
    });
    await t.page.locator('.svelte-flow__node[data-id="n"]').click();
    const filter = t.page.locator('[data-path="/filter"]');
    expect(await filter.getByLabel('Days').inputValue()).toBe('3');
    await filter.getByLabel('Compared with').selectOption({ label: 'days from now' });
    await expect
      .poll(() => draftFilter(id), { timeout: 15_000 })
      .toEqual({ attr: 'trialEndsAt', op: 'before', value: 'P3D' });
    await expect
      .poll(() => t.page.locator('.svelte-flow__node[data-id="n"]').textContent())
      .toContain('trialEndsAt is before 3 days from now');
  });

  test('a value of another form is shown as typed, and one that is no date is named', async () => {
    const start = { attr: 'paidAt', op: 'after', value: '2026-01-01T09:00:00+02:00' };
    await openJourney(t.s, t.page, 'Paid', { nodes: [node('n', 'core.condition', { filter: start })], edges: [] });
    await t.page.locator('.svelte-flow__node[data-id="n"]').click();
    const filter = t.page.locator('[data-path="/filter"]');
    expect(await filter.getByLabel('Compared with').inputValue()).toBe('exact');
    expect(await filter.getByLabel('Value').inputValue()).toBe('2026-01-01T09:00:00+02:00');
    await filter.getByLabel('Value').fill('tomorrow');
    await expect
      .poll(() => filter.locator('.error-text').allTextContents())
      .toEqual([
        'value: must be a date (2026-01-01), a date-time with Z or an offset, or a duration from now (-P30D, P3D)',
      ]);
  });
});
