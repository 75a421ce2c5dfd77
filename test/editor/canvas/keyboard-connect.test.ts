import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { e, n } from '../../engine/support.js';
import { editorPagePerTest, hasChromium, openJourney } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const hook = n('hook', 'core.webhook', { secret: 'a-secret-of-16-chars' });
const cond = n('cond', 'core.condition', { filter: { attr: 'plan', op: 'eq', value: 'pro' } });
const tag = n('tag', 'crm.tag', { action: 'add', tag: 'vip' });

// A keyboard-only or screen-reader user draws and deletes edges as a mouse user does, and
// hears each edge named by the nodes it joins, as the canvas titles them, not by their ids.
describe.skipIf(!hasChromium)('the canvas with the keyboard alone', () => {
  const t = editorPagePerTest();

  const announcement = (page: Page) => page.getByTestId('canvas-announcement');

  /** The saved draft's edges, as `source/output→target`. */
  async function savedEdges(journeyId: string): Promise<string[]> {
    const res = await t.s.app.inject({ method: 'GET', url: `/api/journeys/${journeyId}`, headers: auth });
    const edges: { source: string; sourceHandle: string; target: string }[] = res.json().draft.graph.edges;
    return edges.map((e) => `${e.source}/${e.sourceHandle}→${e.target}`).sort();
  }

  /** Tabs to a node and selects it with Enter, as the keyboard help says. */
  async function selectNode(page: Page, id: string): Promise<void> {
    await page.locator(`.svelte-flow__node[data-id="${id}"]`).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator(`.svelte-flow__node[data-id="${id}"].selected`).count()).toBe(1);
  }

  test('connects an output of the selected node to another node, and the draft saves the edge', async () => {
    const { s, page } = t;
    const id = await openJourney(s, page, 'Keyboard connect', {
      nodes: [hook, cond, tag],
      edges: [e('hook', 'cond')],
    });
    await selectNode(page, 'cond');
    await page.keyboard.press('c');
    const picker = page.getByRole('dialog', { name: 'Connect Condition' });
    await expect.poll(() => picker.isVisible()).toBe(true);
    // Focus starts on the output; typing picks an option, Tab moves on, Enter on Connect.
    await page.keyboard.type('no');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Tag');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');

    await expect.poll(() => announcement(page).textContent()).toBe('Connected Condition, output no, to Tag contact.');
    expect(await picker.count()).toBe(0);
    await expect.poll(() => savedEdges(id)).toEqual(['cond/no→tag', 'hook/out→cond']);
  });

  test('refuses a connection that would loop, saying why, and saves nothing', async () => {
    const { s, page } = t;
    const id = await openJourney(s, page, 'Keyboard loop', {
      nodes: [hook, cond, tag],
      edges: [e('hook', 'cond'), e('cond', 'tag', 'yes')],
    });
    await selectNode(page, 'tag');
    await page.keyboard.press('c');
    const picker = page.getByRole('dialog', { name: 'Connect Tag contact' });
    await expect.poll(() => picker.isVisible()).toBe(true);
    // Triggers are never offered: nothing leads into where a journey starts.
    expect(await picker.getByLabel('To').locator('option').allTextContents()).toEqual(['Condition']);
    await picker.getByRole('button', { name: 'Connect' }).press('Enter');

    const why = 'Not connected: Condition already leads back to Tag contact, so the journey would go round in a loop.';
    await expect.poll(() => picker.getByText(why).isVisible()).toBe(true);
    await expect.poll(() => announcement(page).textContent()).toBe(why);
    expect(await picker.getByLabel('To').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.svelte-flow__edge').count()).toBe(2);
    await page.keyboard.press('Escape');
    expect(await picker.count()).toBe(0);
    expect(await savedEdges(id)).toEqual(['cond/yes→tag', 'hook/out→cond']);
  });

  test('refuses a second edge alike, saying why', async () => {
    const { s, page } = t;
    await openJourney(s, page, 'Keyboard twice', {
      nodes: [hook, cond, tag],
      edges: [e('hook', 'cond'), e('cond', 'tag', 'yes')],
    });
    await selectNode(page, 'cond');
    await page.keyboard.press('c');
    const picker = page.getByRole('dialog', { name: 'Connect Condition' });
    await picker.getByLabel('Output').selectOption('yes');
    await picker.getByLabel('To').selectOption({ label: 'Tag contact' });
    await picker.getByRole('button', { name: 'Connect' }).press('Enter');

    const why = 'Not connected: an edge already runs from Condition, output yes, to Tag contact.';
    await expect.poll(() => announcement(page).textContent()).toBe(why);
    expect(await picker.getByText(why).isVisible()).toBe(true);
    expect(await page.locator('.svelte-flow__edge').count()).toBe(2);
  });

  test('names each edge by the titles of the nodes it joins', async () => {
    const { s, page } = t;
    await openJourney(s, page, 'Edge names', {
      nodes: [hook, cond, tag, n('tag2', 'crm.tag', { action: 'add', tag: 'gold' })],
      edges: [e('hook', 'cond'), e('cond', 'tag', 'yes'), e('cond', 'tag2', 'no')],
    });
    const names = () =>
      page.locator('.svelte-flow__edge').evaluateAll((gs) => gs.map((g) => g.getAttribute('aria-label')).sort());
    // Two nodes of one title are told apart by their ids, as the canvas's other lists do.
    await expect
      .poll(names)
      .toEqual([
        'Edge from Condition, output no, to Tag contact (tag2)',
        'Edge from Condition, output yes, to Tag contact (tag)',
        'Edge from Webhook to Condition',
      ]);
    expect(await page.getByRole('group', { name: 'Edge from Webhook to Condition' }).count()).toBe(1);
  });

  test('deletes an edge it selects, and says which', async () => {
    const { s, page } = t;
    const id = await openJourney(s, page, 'Keyboard delete', {
      nodes: [hook, cond, tag],
      edges: [e('hook', 'cond'), e('cond', 'tag', 'yes')],
    });
    await page.getByRole('group', { name: 'Edge from Condition, output yes, to Tag contact' }).focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Delete');

    await expect
      .poll(() => announcement(page).textContent())
      .toBe('Deleted the edge from Condition, output yes, to Tag contact.');
    await expect.poll(() => savedEdges(id)).toEqual(['hook/out→cond']);
  });

  test('lists the connect and edge keys in the keyboard help', async () => {
    const { s, page } = t;
    await openJourney(s, page, 'Help', { nodes: [hook], edges: [] });
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await expect.poll(() => help.isVisible()).toBe(true);
    const rows = await help.locator('tr').allTextContents();
    expect(rows).toContain('CConnect an output of the selected node to another node');
    expect(rows).toContain('Tab, then EnterGo to a node or an edge, then select it');
  });
});
