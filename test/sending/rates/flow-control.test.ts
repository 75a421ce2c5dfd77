import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRun } from '../../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { insertContact } from '../../channels/scope.js';
import { e, eventually, n } from '../../engine/support.js';
import { api } from '../../failures/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// Journey flow control (API.md "Journey flow control"): maxEntries caps the runs that ever
// enter, entryRate queues entries beyond it and lets them in later, in arrival order.

const SECRET = 'a-secret-of-16-chars';
let t: TestApp;
let worker: WorkerHandle;

beforeAll(async () => {
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 100 });
});
afterAll(async () => {
  await worker.stop();
  await t.close();
});

const graph = {
  nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('tag', 'crm.tag', { action: 'add', tag: 'in' })],
  edges: [e('hook', 'tag')],
};

/** A journey created and published through the API with `settings`. */
async function journey(settings: object): Promise<string> {
  const created = await api(t, { method: 'POST', url: '/api/journeys', payload: { name: 'Flow', graph, settings } });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  expect((await api(t, { method: 'POST', url: `/api/journeys/${id}/publish` })).status).toBe(201);
  return id;
}

async function call(journeyId: string, email: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
    payload: { email },
  });
  return { status: res.statusCode, body: res.json() as { runId: string | null; skipped?: string } };
}

async function entries(journeyId: string) {
  return (await api(t, { url: `/api/journeys/${journeyId}/stats` })).body.entries;
}

/** How many steps started at the trigger, as the stats count them. */
async function enteredAtTrigger(journeyId: string): Promise<number> {
  return (await api(t, { url: `/api/journeys/${journeyId}/stats` })).body.nodes.hook?.entered ?? 0;
}

describe('maxEntries', () => {
  test('an entry cap of 100 lets 100 in out of 500 calls racing for it; the rest are skipped and counted', async () => {
    const id = await journey({ maxEntries: 100 });
    const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => call(id, `racer${i}@example.com`)));
    const started = answers.filter((a) => a.status === 202);
    expect(started).toHaveLength(100);
    const skipped = answers.filter((a) => a.status === 200);
    expect(skipped).toHaveLength(400);
    for (const a of skipped) expect(a.body).toEqual({ runId: null, skipped: 'entry-cap' });
    const runs = await t.runtime.db.selectFrom('runs').select('id').where('journey_id', '=', id).execute();
    expect(runs).toHaveLength(100);
    expect(await entries(id)).toEqual({ entered: 100, queued: 0, skipped: { 'entry-cap': 400, reentry: 0 } });
  }, 60_000);

  test('the re-entry rule is checked first', async () => {
    const id = await journey({ maxEntries: 1, reentry: 'once' });
    expect((await call(id, 'first@example.com')).status).toBe(202);
    expect((await call(id, 'first@example.com')).body).toEqual({ runId: null, skipped: 'reentry' });
    expect((await call(id, 'second@example.com')).body).toEqual({ runId: null, skipped: 'entry-cap' });
    expect(await entries(id)).toEqual({ entered: 1, queued: 0, skipped: { 'entry-cap': 1, reentry: 1 } });
  });

  test('other triggers skip silently, counted; a version published with a higher cap lets more in', async () => {
    const id = await journey({ maxEntries: 2 });
    const contacts = await Promise.all([1, 2, 3].map((i) => insertContact(t.runtime, { email: `c${i}@flow.test` })));
    const start = (contactId: string, version: number) =>
      startRun(t.runtime.db, { journeyId: id, version, triggerNodeId: 'hook', contactId, trigger: {} });
    expect(await start(contacts[0] as string, 1)).not.toBeNull();
    expect(await start(contacts[1] as string, 1)).not.toBeNull();
    expect(await start(contacts[2] as string, 1)).toBeNull();
    expect((await entries(id)).skipped['entry-cap']).toBe(1);
    await api(t, { method: 'PATCH', url: `/api/journeys/${id}`, payload: { settings: { maxEntries: 3 } } });
    const republished = await api(t, { method: 'POST', url: `/api/journeys/${id}/publish` });
    expect(await start(contacts[2] as string, republished.body.version)).not.toBeNull();
    expect((await call(id, 'late@example.com')).body.skipped).toBe('entry-cap');
    expect(await entries(id)).toMatchObject({ entered: 3, skipped: { 'entry-cap': 2 } });
  });

  test('a cap below 1 is refused', async () => {
    const res = await api(t, {
      method: 'POST',
      url: '/api/journeys',
      payload: { name: 'Bad', graph, settings: { maxEntries: 0 } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });
});

describe('entryRate', () => {
  test('entries beyond 5 per second are accepted at once, then enter in arrival order, never 6 in a second', async () => {
    const id = await journey({ entryRate: { count: 5, perSeconds: 1 } });
    const answers = [];
    for (let i = 0; i < 15; i++) answers.push(await call(id, `rated${i}@example.com`));
    expect(answers.every((a) => a.status === 202 && typeof a.body.runId === 'string')).toBe(true);
    const early = await entries(id);
    expect(early.queued).toBeGreaterThanOrEqual(5);
    expect(early.entered + early.queued).toBe(15);
    const queuedRun = await api(t, { url: `/api/runs/${answers[14]?.body.runId}` });
    expect(queuedRun.body.status).toBe('running');

    await eventually(async () => (await entries(id)).entered === 15, 15_000);
    expect(await entries(id)).toEqual({ entered: 15, queued: 0, skipped: { 'entry-cap': 0, reentry: 0 } });
    // Each trigger step completed when its run entered, no sooner than its time under the rate:
    // the 6th a second after the 1st, and so on. (A worker takes a queued entry up to a poll late,
    // so entries after the first five are allowed that much later than their time.)
    const steps = await t.runtime.db
      .selectFrom('steps')
      .innerJoin('runs', 'runs.id', 'steps.run_id')
      .select(['runs.id as runId', 'steps.finished_at'])
      .where('runs.journey_id', '=', id)
      .where('steps.node_id', '=', 'hook')
      .execute();
    const enteredAt = new Map(steps.map((s) => [s.runId, new Date(s.finished_at as unknown as Date).getTime()]));
    const times = answers.map((a) => enteredAt.get(a.body.runId as string) as number);
    for (let i = 0; i + 5 < times.length; i++) {
      const late = i < 5 ? 0 : 250;
      expect(times[i + 5] as number).toBeGreaterThanOrEqual((times[i] as number) + 1000 - late);
    }
    expect((times[14] as number) - (times[0] as number)).toBeGreaterThanOrEqual(2000);
    const tagged = await t.runtime.db
      .selectFrom('steps')
      .innerJoin('runs', 'runs.id', 'steps.run_id')
      .select('steps.status')
      .where('runs.journey_id', '=', id)
      .where('steps.node_id', '=', 'tag')
      .execute();
    expect(tagged.filter((s) => s.status === 'completed')).toHaveLength(15);
  }, 30_000);

  test('a queued entry counts toward maxEntries', async () => {
    const id = await journey({ entryRate: { count: 1, perSeconds: 60 }, maxEntries: 3 });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await call(id, `capped${i}@example.com`));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 200, 200]);
    expect(await entries(id)).toEqual({ entered: 1, queued: 2, skipped: { 'entry-cap': 2, reentry: 0 } });
  });

  test('a queued entry whose run is cancelled never entered: it leaves queued and is not counted entered', async () => {
    const id = await journey({ entryRate: { count: 1, perSeconds: 60 } });
    await call(id, 'first-in@example.com');
    const waiting = await call(id, 'cancelled-in-line@example.com');
    expect(await entries(id)).toEqual({ entered: 1, queued: 1, skipped: { 'entry-cap': 0, reentry: 0 } });
    const cancelled = await api(t, { method: 'POST', url: `/api/runs/${waiting.body.runId}/cancel` });
    expect(cancelled.status).toBe(200);
    expect(await entries(id)).toEqual({ entered: 1, queued: 0, skipped: { 'entry-cap': 0, reentry: 0 } });
    expect(await enteredAtTrigger(id)).toBe(1);
  });

  test('the trigger counts a queued entry entered when it is let in, not while it waits', async () => {
    const id = await journey({ entryRate: { count: 1, perSeconds: 2 } });
    for (let i = 0; i < 2; i++) await call(id, `let-in${i}@example.com`);
    expect(await entries(id)).toEqual({ entered: 1, queued: 1, skipped: { 'entry-cap': 0, reentry: 0 } });
    expect(await enteredAtTrigger(id)).toBe(1);

    await eventually(async () => (await entries(id)).entered === 2, 10_000);
    expect(await enteredAtTrigger(id)).toBe(2);
  }, 15_000);
});
