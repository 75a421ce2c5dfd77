import { sql } from 'kysely';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRunsForContacts } from '../../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { type EditorSession, hasChromium, openEditor } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const node = (id: string, type: string, params: object, x: number) => ({
  id,
  type,
  version: 1,
  params,
  position: { x, y: 100 },
});

describe.skipIf(!hasChromium)('the experiment panel in the browser', () => {
  let session: EditorSession;
  let page: Page;
  let worker: WorkerHandle;
  let journeyId: string;

  beforeAll(async () => {
    session = await openEditor();
    page = session.page;
    const { app } = session;
    const db = session.base.runtime.db;
    worker = await startWorker(session.base.runtime, { pollInterval: 200 });
    const graph = {
      nodes: [
        node('hook', 'core.webhook', { secret: 'a-long-enough-webhook-secret' }, 0),
        node(
          'ab',
          'core.split',
          {
            variants: [
              { key: 'a', weight: 50 },
              { key: 'b', weight: 50 },
            ],
          },
          250,
        ),
        node('tag-a', 'crm.tag', { action: 'add', tag: 'saw-a' }, 500),
        node('tag-b', 'crm.tag', { action: 'add', tag: 'saw-b' }, 500),
      ],
      edges: [
        { id: 'e1', source: 'hook', sourceHandle: 'out', target: 'ab' },
        { id: 'e2', source: 'ab', sourceHandle: 'a', target: 'tag-a' },
        { id: 'e3', source: 'ab', sourceHandle: 'b', target: 'tag-b' },
      ],
    };
    const made = await app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: { name: 'Subject line test', graph, settings: { goal: { event: 'purchase', windowSeconds: 86400 } } },
    });
    journeyId = made.json().id;
    expect(
      (await app.inject({ method: 'POST', url: `/api/journeys/${journeyId}/publish`, headers: auth })).statusCode,
    ).toBe(201);
    const { rows } = await sql<{ id: string }>`
      insert into contacts (workspace_id, email)
      select (select id from workspaces where is_default), 'p' || g || '@example.com' from generate_series(1, 200) g
      returning id`.execute(db);
    const contactIds = rows.map((r) => r.id);
    await db
      .transaction()
      .execute((trx) => startRunsForContacts(trx, { journeyId, version: 1, triggerNodeId: 'hook', contactIds }));
    for (let tries = 0; ; tries++) {
      const { rows: done } = await sql<{
        n: number;
      }>`select count(*)::int as n from runs where status = 'completed'`.execute(db);
      if (done[0]?.n === 200) break;
      if (tries > 600) throw new Error('the runs did not complete');
      await new Promise((r) => setTimeout(r, 100));
    }
    const { rows: taken } = await sql<{ contact_id: string; variant: string }>`
      select r.contact_id, s.output ->> 'variant' as variant from runs r join steps s on s.run_id = r.id and s.node_id = 'ab'`.execute(
      db,
    );
    // b converts far more often than a.
    let i = 0;
    for (const t of taken) {
      if (t.variant === 'b' ? i++ % 2 === 0 : i++ % 10 === 0) {
        await app.inject({
          method: 'POST',
          url: '/api/events',
          headers: auth,
          payload: { contactId: t.contact_id, name: 'purchase' },
        });
      }
    }
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    await session?.close();
  });

  test('a split opens its experiment: rates, the p-value in words, and a winner chosen by hand', async () => {
    await page.goto(`${session.url}/journeys/${journeyId}?token=${TEST_TOKEN}`);
    await page.getByRole('tab', { name: 'Results' }).click();
    const panel = page.locator('[data-experiment="ab"]');
    await expect.poll(() => panel.isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await panel.locator('[data-status]').textContent()).toBe('Testing');
    expect(await panel.locator('canvas').count()).toBeGreaterThan(0);
    const words = await panel.getByTestId('p-value-words').textContent();
    expect(words).toMatch(/^(\d+|over 99) % likely that B beats A — (significant at 95 %|not yet significant)$/);
    expect(await page.getByTestId('journey-totals').textContent()).toContain('200 started');
    await panel.getByRole('button', { name: 'Send everyone to b' }).click();
    await panel
      .getByRole('alertdialog', { name: 'Send everyone to b?' })
      .getByRole('button', { name: 'Yes, send everyone to b' })
      .click();
    await expect.poll(() => panel.locator('[data-status]').textContent()).toBe('Chosen by hand: b');
    const stored = await session.app.inject({ url: `/api/journeys/${journeyId}/experiments`, headers: auth });
    expect(stored.json().experiments[0]).toMatchObject({ status: 'override', decision: { variant: 'b' } });
    await panel.getByRole('button', { name: 'Return to testing' }).click();
    await expect.poll(() => panel.locator('[data-status]').textContent()).toBe('Testing');
  });

  /** Opens the results and presses 'Send everyone to <variant>'; `sent` gathers the winner requests made. */
  async function askToSendEveryoneTo(variant: string) {
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/winner')) sent.push(r.method());
    });
    await page.goto(`${session.url}/journeys/${journeyId}?token=${TEST_TOKEN}`);
    await page.getByRole('tab', { name: 'Results' }).click();
    const panel = page.locator('[data-experiment="ab"]');
    await panel.getByRole('button', { name: `Send everyone to ${variant}` }).click();
    return { panel, sent, ask: panel.getByRole('alertdialog', { name: `Send everyone to ${variant}?` }) };
  }

  test('sending everyone to a variant first asks, naming the variant, the split and the journey', async () => {
    const { panel, sent, ask } = await askToSendEveryoneTo('a');
    expect((await ask.locator('p').textContent())?.replace(/\s+/g, ' ').trim()).toBe(
      'Send everyone reaching A/B split in Subject line test to variant a? From now on every contact reaching it ' +
        'takes a, until you return to testing; contacts already past it stay where they are.',
    );
    expect(await ask.getByRole('button', { name: 'Cancel' }).evaluate((b) => b === document.activeElement)).toBe(true);
    expect(sent).toEqual([]);
    expect(await panel.locator('[data-status]').textContent()).toBe('Testing');
  });

  test('Cancel closes the question, sends nothing and the test goes on', async () => {
    const { panel, sent, ask } = await askToSendEveryoneTo('a');
    await ask.getByRole('button', { name: 'Cancel' }).click();
    expect(await ask.count()).toBe(0);
    await page.waitForTimeout(300);
    expect(sent).toEqual([]);
    const stored = await session.app.inject({ url: `/api/journeys/${journeyId}/experiments`, headers: auth });
    expect(stored.json().experiments[0]).toMatchObject({ status: 'testing', decision: null });
    expect(await panel.getByRole('button', { name: 'Send everyone to a' }).isEnabled()).toBe(true);
  });

  test('sending everyone to control says that control is the holdout, sent no message', async () => {
    const graph = {
      nodes: [
        node('hook', 'core.webhook', { secret: 'a-long-enough-webhook-secret' }, 0),
        node(
          'hold',
          'core.split',
          {
            variants: [
              { key: 'control', weight: 10 },
              { key: 'mail', weight: 90 },
            ],
          },
          250,
        ),
        node('tag-c', 'crm.tag', { action: 'add', tag: 'held' }, 500),
        node('tag-m', 'crm.tag', { action: 'add', tag: 'mailed' }, 500),
      ],
      edges: [
        { id: 'e1', source: 'hook', sourceHandle: 'out', target: 'hold' },
        { id: 'e2', source: 'hold', sourceHandle: 'control', target: 'tag-c' },
        { id: 'e3', source: 'hold', sourceHandle: 'mail', target: 'tag-m' },
      ],
    };
    const made = await session.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: auth,
      payload: { name: 'Holdout test', graph },
    });
    const id = made.json().id;
    const published = await session.app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: auth });
    expect(published.statusCode).toBe(201);
    await page.goto(`${session.url}/journeys/${id}?token=${TEST_TOKEN}`);
    await page.getByRole('tab', { name: 'Results' }).click();
    const panel = page.locator('[data-experiment="hold"]');
    await panel.getByRole('button', { name: 'Send everyone to control' }).click();
    const words = await panel
      .getByRole('alertdialog', { name: 'Send everyone to control?' })
      .locator('p')
      .textContent();
    expect(words?.replace(/\s+/g, ' ').trim()).toMatch(
      /^Send everyone reaching A\/B split in Holdout test to variant control\? .* Control is the holdout: the contacts sent there get no message\.$/,
    );
  });

  test('says how many entries a decision routed, a contact coming again counted again', async () => {
    const { app } = session;
    const db = session.base.runtime.db;
    const url = `/api/journeys/${journeyId}/nodes/ab/winner`;
    expect((await app.inject({ method: 'POST', url, headers: auth, payload: { variant: 'b' } })).statusCode).toBe(200);
    const { rows } = await sql<{ id: string }>`select id from contacts order by id limit 2`.execute(db);
    const [first, second] = rows.map((r) => r.id) as [string, string];
    for (const contactIds of [[first, second], [first]])
      await db
        .transaction()
        .execute((trx) => startRunsForContacts(trx, { journeyId, version: 1, triggerNodeId: 'hook', contactIds }));
    await expect
      .poll(
        async () =>
          (await app.inject({ url: `/api/journeys/${journeyId}/experiments`, headers: auth })).json().experiments[0]
            .routed,
        {
          timeout: 15_000,
        },
      )
      .toBe(3);
    await page.goto(`${session.url}/journeys/${journeyId}?token=${TEST_TOKEN}`);
    await page.getByRole('tab', { name: 'Results' }).click();
    const routed = page.locator('[data-experiment="ab"]').getByTestId('routed');
    await expect
      .poll(() => routed.textContent(), { timeout: 15_000 })
      .toBe('3 entries routed by a decision, not counted in the test.');
    expect((await app.inject({ method: 'DELETE', url, headers: auth })).statusCode).toBe(200);
  });

  test('picking the split on the canvas shows its experiment in the inspector, under its form', async () => {
    await page.goto(`${session.url}/journeys/${journeyId}?token=${TEST_TOKEN}`);
    await page.locator('.svelte-flow__node[data-id="ab"]').click();
    expect(await page.getByRole('tab', { name: 'Inspector' }).getAttribute('aria-selected')).toBe('true');
    const panel = page.locator('.side [data-experiment="ab"]');
    await expect.poll(() => panel.isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await panel.getByTestId('p-value-words').textContent()).toMatch(/likely that B beats A/);
    const form = await page.locator('.side').getByText('ab · ').boundingBox();
    expect(form?.y).toBeLessThan((await panel.boundingBox())?.y ?? 0);
    await page.locator('.svelte-flow__node[data-id="tag-a"]').click();
    await expect.poll(() => panel.count()).toBe(0);
  });
});
