import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type EditorSession, hasChromium, openEditor } from '../support/browser.js';
import { TEST_TOKEN } from '../support/runtime.js';
import { e, hook, n, rowCounts } from './support.js';

const at = (node: ReturnType<typeof n>, x: number, y: number) => ({ ...node, position: { x, y } });

/** hook → wait for a click → (event) mail / (timeout) nudge, laid out left to right. */
const graph = {
  nodes: [
    at(hook(), 0, 100),
    at(n('wait', 'core.wait-for-event', { event: 'email.clicked', timeout: 'P2D' }), 280, 100),
    at(
      n('mail', 'email.send', {
        from: 'News <news@example.com>',
        subject: 'Thanks, {{ contact.attributes.first }}',
        html: '<p>Hello {{ contact.attributes.first }}</p>',
        category: 'marketing',
      }),
      560,
      0,
    ),
    at(n('nudge', 'crm.tag', { action: 'add', tag: 'nudged' }), 560, 220),
  ],
  edges: [e('hook', 'wait'), e('wait', 'mail', 'event'), e('wait', 'nudge', 'timeout')],
};

const node = (page: Page, id: string) => page.locator(`.svelte-flow__node[data-id="${id}"] .wm-node`);

describe.skipIf(!hasChromium)('the test panel in the browser', () => {
  let s: EditorSession;
  let journeyId: string;

  beforeAll(async () => {
    s = await openEditor();
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
      payload: { name: 'Panel test', graph },
    });
    journeyId = res.json().id;
  }, 120_000);

  afterAll(() => s?.close());

  async function openTestTab(): Promise<void> {
    await s.page.goto(`${s.url}/journeys/${journeyId}?token=${TEST_TOKEN}`);
    await s.page.getByRole('tab', { name: 'Test' }).click();
  }

  test('lights the path step by step with each node’s output and the rendered message', async () => {
    const { page } = s;
    await openTestTab();
    await page.getByLabel('Contact email').fill('ann@example.com');
    await page.getByLabel('Contact attributes').fill('{ "first": "Ann" }');
    await page.getByRole('button', { name: 'Add event' }).click();
    await page.getByLabel('Event 1 after node').selectOption('wait');
    await page.getByLabel('Event 1 name').fill('email.clicked');
    const before = await rowCounts(s.base.runtime.db);
    await page.getByRole('button', { name: 'Run test' }).click();

    // The walk is shown a step at a time before it is shown whole.
    await expect.poll(() => page.getByLabel('Test run status').textContent()).toBe('walking…');
    await expect.poll(() => page.getByLabel('Test run status').textContent(), { timeout: 10_000 }).toBe('completed');
    expect(await node(page, 'wait').locator('.test-step').textContent()).toContain('→ event');
    expect(await node(page, 'mail').locator('.test-step').textContent()).toContain('→ sent');
    expect(await node(page, 'mail').getAttribute('class')).toContain('on-path');
    expect(await node(page, 'nudge').getAttribute('class')).toContain('dimmed');

    const steps = page.getByRole('list', { name: 'Test steps' }).locator('li');
    expect(await steps.count()).toBe(3);
    expect(await steps.nth(1).textContent()).toContain('"name": "email.clicked"');
    const message = page.locator('details.message');
    await expect.poll(() => message.locator('summary').textContent()).toContain('Thanks, Ann');
    await message.locator('summary').click();
    const html = await page.frameLocator('iframe[title="Rendered message mail"]').locator('p').first().textContent();
    expect(html).toBe('Hello Ann');
    expect(await rowCounts(s.base.runtime.db)).toEqual(before);
  });

  test('without the event, the wait times out and the other branch lights', async () => {
    const { page } = s;
    await openTestTab();
    await page.getByRole('radio', { name: 'Pick a stored one' }).check();
    const contact = await s.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
      payload: { email: 'stored@example.com' },
    });
    await page.getByLabel('Find contact').fill('stored@');
    await page.getByRole('button', { name: 'stored@example.com' }).click();
    expect(await page.getByLabel('Contact id').inputValue()).toBe(contact.json().id);
    await page.getByRole('button', { name: 'Run test' }).click();
    await expect.poll(() => page.getByLabel('Test run status').textContent(), { timeout: 10_000 }).toBe('completed');
    expect(await node(page, 'wait').locator('.test-step').textContent()).toContain('→ timeout');
    expect(await node(page, 'nudge').getAttribute('class')).toContain('on-path');
    expect(await node(page, 'mail').getAttribute('class')).toContain('dimmed');
  });

  test('a journey started by an event asks for the event’s properties, and the run sees the event', async () => {
    const { page } = s;
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
      payload: {
        name: 'Event panel test',
        graph: {
          nodes: [
            at(n('signup', 'core.event', { event: 'signed_up' }), 0, 100),
            at(n('tagged', 'crm.tag', { action: 'add', tag: 'new' }), 280, 100),
          ],
          edges: [e('signup', 'tagged')],
        },
      },
    });
    await page.goto(`${s.url}/journeys/${res.json().id}?token=${TEST_TOKEN}`);
    await page.getByRole('tab', { name: 'Test' }).click();
    await page.getByLabel('Contact email').fill('eve@example.com');
    await page.getByLabel('Event properties').fill('{ "plan": "pro" }');
    await page.getByRole('button', { name: 'Run test' }).click();
    await expect.poll(() => page.getByLabel('Test run status').textContent(), { timeout: 10_000 }).toBe('completed');
    const first = page.getByRole('list', { name: 'Test steps' }).locator('li').first();
    expect(await first.textContent()).toContain('"name": "signed_up"');
    expect(await first.textContent()).toContain('"plan": "pro"');
  });

  test('the walk starts at the time picked, read in the browser’s time zone', async () => {
    const { page } = s;
    await openTestTab();
    await page.getByLabel('Contact email').fill('ann@example.com');
    await page.getByLabel('Start at').fill('2026-03-02T10:00');
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/test'));
    await page.getByRole('button', { name: 'Run test' }).click();
    const startAt = await page.evaluate(() => new Date('2026-03-02T10:00').toISOString());
    expect((await sent).postDataJSON().startAt).toBe(startAt);
    await expect.poll(() => page.getByLabel('Test run status').textContent(), { timeout: 10_000 }).toBe('completed');
    // The wait timed out two days after the start.
    const timedOut = await page.evaluate((at) => new Date(Date.parse(at) + 2 * 86_400_000).toLocaleString(), startAt);
    expect(await page.getByRole('list', { name: 'Test steps' }).locator('li').nth(1).textContent()).toContain(timedOut);
  });

  test('an event comes the delay after its node', async () => {
    const { page } = s;
    await openTestTab();
    await page.getByLabel('Contact email').fill('ann@example.com');
    await page.getByRole('button', { name: 'Add event' }).click();
    await page.getByLabel('Event 1 after node').selectOption('hook');
    await page.getByLabel('Event 1 name').fill('email.clicked');
    await page.getByLabel('Event 1 delay').fill('PT2H');
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/test'));
    await page.getByRole('button', { name: 'Run test' }).click();
    expect((await sent).postDataJSON().events).toEqual([{ afterNode: 'hook', name: 'email.clicked', delay: 'PT2H' }]);
    await expect.poll(() => page.getByLabel('Test run status').textContent(), { timeout: 10_000 }).toBe('completed');
    expect(await node(page, 'wait').locator('.test-step').textContent()).toContain('→ event');
  });

  test('names the problem when the payload is not JSON, and sends nothing', async () => {
    const { page } = s;
    await openTestTab();
    await page.getByLabel('Trigger payload').fill('{ nope');
    await page.getByRole('button', { name: 'Run test' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('The payload is not JSON');
    expect(await page.getByRole('list', { name: 'Test steps' }).count()).toBe(0);
  });
});
