import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { eventually } from '../../engine/support.js';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const SECRET = 'a-secret-of-16-chars';
const node = (page: Page, id: string) => page.locator(`.svelte-flow__node[data-id="${id}"] .wm-node`);
const at = (x: number, y: number) => ({ x, y });

// Pro contacts wait a day; the others are tagged and done.
const graph = {
  nodes: [
    { id: 'hook', type: 'core.webhook', version: 1, params: { secret: SECRET }, position: at(0, 0) },
    {
      id: 'plan',
      type: 'core.condition',
      version: 1,
      params: { filter: { trigger: 'plan', op: 'eq', value: 'pro' } },
      position: at(0, 0),
    },
    { id: 'pause', type: 'core.wait', version: 1, params: { duration: 'P1D' }, position: at(0, 0) },
    { id: 'tag', type: 'crm.tag', version: 1, params: { action: 'add', tag: 'free' }, position: at(0, 0) },
  ],
  edges: [
    { id: 'e1', source: 'hook', sourceHandle: 'out', target: 'plan' },
    { id: 'e2', source: 'plan', sourceHandle: 'yes', target: 'pause' },
    { id: 'e3', source: 'plan', sourceHandle: 'no', target: 'tag' },
  ],
};

describe.skipIf(!hasChromium)('the contacts behind the canvas counts', () => {
  let s: EditorSession;
  let worker: WorkerHandle;
  let journeyId: string;

  beforeAll(async () => {
    s = await openEditor();
    s.page.setDefaultTimeout(10_000);
    worker = await startWorker(s.base.runtime, { pollInterval: 100 });
    journeyId = (
      await s.app.inject({ method: 'POST', url: '/api/journeys', headers: auth, payload: { name: 'Plans', graph } })
    ).json().id;
    await s.app.inject({ method: 'POST', url: `/api/journeys/${journeyId}/publish`, headers: auth });
    for (const [email, plan] of [
      ['ada@example.com', 'pro'],
      ['grace@example.com', 'pro'],
      ['linus@example.com', 'free'],
    ]) {
      const res = await s.app.inject({
        method: 'POST',
        url: `/hooks/${journeyId}/hook`,
        headers: { 'x-waymark-secret': SECRET },
        payload: { email, plan },
      });
      if (res.statusCode !== 202) throw new Error(`the webhook answered ${res.statusCode}`);
    }
    await eventually(async () => {
      const res = await s.app.inject({ url: `/api/runs?journeyId=${journeyId}&status=waiting`, headers: auth });
      return res.json().runs.length === 2;
    }, 15_000);
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await s?.close();
  });

  test('a node’s waiting count lists those contacts, searchable, and a run lights its path', async () => {
    const { page, url } = s;
    await page.goto(`${url}/journeys/${journeyId}?token=${TEST_TOKEN}`);
    await page.getByRole('button', { name: 'Live view' }).click();
    const waiting = node(page, 'pause').locator('[data-count="waiting"]');
    await expect.poll(() => waiting.textContent(), { timeout: 10_000 }).toBe('wait 2');
    await waiting.click();
    await expect.poll(() => page.getByTestId('run-list-title').textContent()).toBe('Contacts waiting at Wait');
    const rows = page.getByTestId('run-list').locator('tr');
    await expect.poll(() => rows.allTextContents()).toHaveLength(2);
    expect((await rows.allTextContents()).join(' ')).toMatch(/ada@example.com.*|grace@example.com/);

    await page.getByLabel('Search runs').fill('grace');
    await expect.poll(() => rows.count()).toBe(1);
    await rows.first().click();
    await expect.poll(() => node(page, 'pause').getAttribute('class')).toContain('on-path');
    expect(await node(page, 'tag').getAttribute('class')).toContain('dimmed');
  });

  test('a node’s conversions read as a count and a rate, apart', async () => {
    const conv = node(s.page, 'pause').locator('.conv');
    await expect.poll(() => conv.textContent()).toBe('conv 0 (0.0%)');
  });

  test('an edge’s count lists the contacts who took it', async () => {
    const { page } = s;
    await page.getByRole('button', { name: '← Runs' }).click();
    const count = page.locator('.wm-edge-label[data-edge="e3"]').getByTestId('edge-count');
    await expect.poll(() => count.textContent()).toBe('1');
    await count.click();
    await expect.poll(() => page.getByTestId('run-list-title').textContent()).toBe('Contacts took “no” at Condition');
    await expect
      .poll(() => page.getByTestId('run-list').locator('tr').allTextContents())
      .toEqual([expect.stringContaining('linus@example.com')]);
  });

  test('a count and the runs it opens are of the same version', async () => {
    const { page, url } = s;
    const published = await s.app.inject({ method: 'POST', url: `/api/journeys/${journeyId}/publish`, headers: auth });
    expect(published.json().version).toBe(2);
    await s.app.inject({
      method: 'POST',
      url: `/hooks/${journeyId}/hook`,
      headers: { 'x-waymark-secret': SECRET },
      payload: { email: 'hedy@example.com', plan: 'pro' },
    });
    await page.goto(`${url}/journeys/${journeyId}`);
    await page.getByRole('button', { name: 'Live view' }).click();
    const waiting = node(page, 'pause').locator('[data-count="waiting"]');
    await expect.poll(() => waiting.textContent(), { timeout: 15_000 }).toBe('wait 1');
    const listed = page.waitForRequest((r) => r.url().includes('/api/runs?') && r.url().includes('step=pause'));
    await waiting.click();
    expect(new URL((await listed).url()).searchParams.get('version')).toBe('2');
    await expect
      .poll(() => page.getByTestId('run-list').locator('tr').allTextContents())
      .toEqual([expect.stringContaining('hedy@example.com')]);
  });

  test('the Runs tab and a run name each run’s contact by email', async () => {
    const { page, url } = s;
    await page.goto(`${url}/journeys/${journeyId}`);
    await page.getByRole('tab', { name: 'Runs' }).click();
    const rows = page.locator('tr.clickable');
    await expect.poll(() => rows.count()).toBe(4);
    const contacts = (await rows.locator('td:nth-child(4)').allTextContents()).sort();
    expect(contacts).toEqual(['ada@example.com', 'grace@example.com', 'hedy@example.com', 'linus@example.com']);
    await rows.filter({ hasText: 'linus@example.com' }).click();
    await expect.poll(() => page.getByTestId('run-contact').textContent()).toBe('linus@example.com');
  });

  test('a waiting run’s wait says until when', async () => {
    const { page, url } = s;
    await page.goto(`${url}/journeys/${journeyId}`);
    await page.getByRole('tab', { name: 'Runs' }).click();
    await page.locator('tr.clickable').filter({ hasText: 'ada@example.com' }).click();
    const due = page.getByTestId('step-due');
    await expect.poll(() => due.textContent()).toMatch(/^until /);
    const runs = await s.app.inject({ url: `/api/runs?journeyId=${journeyId}&status=waiting`, headers: auth });
    const ids = runs.json().runs.map((r: { id: string }) => r.id);
    const waits = await Promise.all(
      ids.map(async (id: string) => (await s.app.inject({ url: `/api/runs/${id}`, headers: auth })).json().steps[2]),
    );
    expect(waits.map((w: { wakeAt: string }) => w.wakeAt)).toContain(await due.getAttribute('title'));
  });

  test('the contact page puts the contact’s runs and events on one timeline, newest first', async () => {
    const { page, url } = s;
    const event = await s.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: auth,
      payload: { email: 'ada@example.com', name: 'webinar.attended', properties: { webinar: 'Spring' } },
    });
    expect(event.statusCode).toBeLessThan(300);
    await page.goto(`${url}/contacts`);
    await page.getByRole('cell', { name: 'ada@example.com' }).click();
    const items = page.getByTestId('timeline').locator('li');
    await expect.poll(() => items.count()).toBe(2);
    expect(await items.nth(0).textContent()).toContain('webinar.attended');
    expect(await items.nth(1).textContent()).toContain('Entered Plans');
    expect(await items.nth(1).textContent()).toContain('waiting');
    expect(await items.nth(1).locator('a').getAttribute('href')).toBe(`/journeys/${journeyId}`);
  });
});
