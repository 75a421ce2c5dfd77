import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium, openJourney } from '../../support/browser.js';

const node = (id: string, type: string, params: object) => ({ id, type, version: 1, params, position: { x: 0, y: 0 } });

// A clause's problem was said twice, once in the editor's words as you type and once in the
// server's from its last validation ("value: required, op "eq" needs a value"); a problem at
// the filter's own place was shown by its field and again by the builder.
describe.skipIf(!hasChromium)('the problems of a filter clause', () => {
  const t = editorPagePerTest();

  /** Opens a condition with `filter`, selected, once the server's validation of it has come back. */
  async function problemsOf(filter: object): Promise<string[]> {
    await openJourney(t.s, t.page, 'Condition', { nodes: [node('n', 'core.condition', { filter })], edges: [] });
    await t.page.locator('.svelte-flow__node[data-id="n"]').click();
    await t.page.locator('.svelte-flow__node[data-id="n"] .invalid').waitFor();
    return t.page.locator('[data-path="/filter"] .error-text').allTextContents();
  }

  test('a value missing is said once', async () => {
    expect(await problemsOf({ attr: 'plan', op: 'eq' })).toEqual(['value: required']);
  });

  test('an unknown operator is said once', async () => {
    expect(await problemsOf({ attr: 'plan', op: 'bogus', value: 'x' })).toEqual(['op: unknown operator']);
  });

  test('a clause of no kind, at the filter itself, is said once', async () => {
    expect(await problemsOf({})).toEqual(['unknown clause']);
  });

  test("a problem of an event clause's where is said once, by the filter under it", async () => {
    expect(await problemsOf({ event: 'purchase', op: 'count', gte: 1, where: {} })).toEqual(['unknown clause']);
  });

  test("an event clause's name of spaces only is named under it, as the server refuses it", async () => {
    expect(await problemsOf({ event: '   ', op: 'count', gte: 1 })).toEqual(['event: must not be blank']);
  });

  test("a problem the server finds at a tag's count bound is said under the clause", async () => {
    const problems = await problemsOf({ tag: 'vip', op: 'has', count: { gte: 1, lt: 1 } });
    expect(problems).toEqual([
      'count/lt: count {"gte":1,"lt":1} matches no tag a contact has (its count is at least 1)',
    ]);
    const invalid = (label: string) =>
      t.page.locator('[data-path="/filter"]').getByLabel(label, { exact: true }).getAttribute('aria-invalid');
    expect(await invalid('Times added, bound 2')).toBe('true');
    expect(await invalid('Times added')).toBe('false');
  });

  test("a problem only the server finds is still shown, in the server's words", async () => {
    const problems = await problemsOf({ attr: 'a.__proto__.b', op: 'eq', value: 'x' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^attr: .*reserved/);
  });

  test('an event name typed as spaces only is named as you type, and a real one clears it', async () => {
    await openJourney(t.s, t.page, 'Condition', {
      nodes: [node('n', 'core.condition', { filter: { event: 'purchase', op: 'count', gte: 1 } })],
      edges: [],
    });
    await t.page.locator('.svelte-flow__node[data-id="n"]').click();
    const filter = t.page.locator('[data-path="/filter"]');
    await filter.getByLabel('event name').fill('  ');
    await expect.poll(() => filter.locator('.error-text').allTextContents()).toEqual(['event: must not be blank']);
    expect(await filter.getByLabel('event name').getAttribute('aria-invalid')).toBe('true');
    await filter.getByLabel('event name').fill(' signup ');
    await expect.poll(() => filter.locator('.error-text').allTextContents()).toEqual([]);
  });
});
