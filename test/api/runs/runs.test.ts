import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRun } from '../../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, n, publish, runEnds, startAtTrigger, testPackage } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
let worker: WorkerHandle;

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const start = (j: { journeyId: string; version: number }, trigger = {}) =>
  t.runtime.db
    .transaction()
    .execute((trx) => startRun(trx, { ...j, triggerNodeId: 't', contactId: null, trigger }))
    .then((r) => r?.runId as string);

describe('GET /api/runs', () => {
  test('lists runs newest first, filtered by journey and status, paged by cursor', async () => {
    const j = await publish(t.runtime.db, { nodes: [n('t', 'tst.trigger'), n('a', 'tst.step')], edges: [e('t', 'a')] });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await start(j));
    for (const id of ids) await runEnds(t.runtime.db, id);
    const page1 = await t.app.inject({ url: `/api/runs?journeyId=${j.journeyId}&limit=3`, headers: t.auth });
    expect(page1.statusCode).toBe(200);
    const body1 = page1.json();
    expect(body1.runs).toHaveLength(3);
    expect(body1.runs[0]).toMatchObject({ journeyId: j.journeyId, version: 1, contactId: null, status: 'completed' });
    expect(body1.nextCursor).toBeTruthy();
    const page2 = await t.app.inject({
      url: `/api/runs?journeyId=${j.journeyId}&limit=3&cursor=${body1.nextCursor}`,
      headers: t.auth,
    });
    const body2 = page2.json();
    expect(body2.runs).toHaveLength(2);
    expect(body2.nextCursor).toBeNull();
    expect([...body1.runs, ...body2.runs].map((r: { id: string }) => r.id).sort()).toEqual([...ids].sort());
    const failed = await t.app.inject({ url: `/api/runs?journeyId=${j.journeyId}&status=failed`, headers: t.auth });
    expect(failed.json().runs).toEqual([]);
  });

  test('answers the newest 100 runs a page when no limit is given', async () => {
    const j = await publish(t.runtime.db, { nodes: [n('t', 'tst.trigger')], edges: [] });
    const ids: string[] = [];
    for (let i = 0; i < 101; i++) ids.push(await start(j));
    const res = await t.app.inject({ url: `/api/runs?journeyId=${j.journeyId}`, headers: t.auth });
    expect(res.json().runs).toHaveLength(100);
    expect(res.json().runs.map((r: { id: string }) => r.id)).not.toContain(ids[0]);
    expect(res.json().nextCursor).not.toBeNull();
  });

  test('filters by contact', async () => {
    const j = await publish(t.runtime.db, { nodes: [n('t', 'tst.trigger')], edges: [] });
    const contact = (
      await t.app.inject({
        method: 'POST',
        url: '/api/contacts',
        headers: t.auth,
        payload: { email: 'runs-of@example.com' },
      })
    ).json();
    const theirs = await startAtTrigger(t.runtime.db, j, contact.id);
    await start(j);
    const res = await t.app.inject({ url: `/api/runs?contactId=${contact.id}`, headers: t.auth });
    expect(res.json().runs.map((r: { id: string; contactId: string }) => [r.id, r.contactId])).toEqual([
      [theirs, contact.id],
    ]);
  });

  test('rejects a limit over 1000 and a bad status with 400, and requires a token', async () => {
    expect((await t.app.inject({ url: '/api/runs?limit=1001', headers: t.auth })).statusCode).toBe(400);
    const bad = await t.app.inject({ url: '/api/runs?status=nope', headers: t.auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('validation_failed');
    expect((await t.app.inject({ url: '/api/runs' })).statusCode).toBe(401);
  });
});

describe('GET /api/runs/:id', () => {
  test('shows the run with its steps in order, the trigger first', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('a', 'tst.step', { label: 'x' }), n('w', 'tst.sleep', { ms: 60_000 })],
      edges: [e('t', 'a'), e('a', 'w')],
    });
    const id = await start(j, { order: 7 });
    await runEnds(t.runtime.db, id, ['waiting']);
    const res = await t.app.inject({ url: `/api/runs/${id}`, headers: t.auth });
    expect(res.statusCode).toBe(200);
    const run = res.json();
    expect(run).toMatchObject({ id, status: 'waiting', endedAt: null });
    expect(run.steps.map((s: { nodeId: string; status: string }) => [s.nodeId, s.status])).toEqual([
      ['t', 'completed'],
      ['a', 'completed'],
      ['w', 'waiting'],
    ]);
    expect(run.steps[0].output).toEqual({ order: 7 });
    expect(run.steps[1]).toMatchObject({ output: { label: 'x' }, attempts: 1 });
    expect(run.cancelledSteps).toEqual([]);
  });

  test('answers 404 for an unknown run and 400 for a malformed id', async () => {
    const missing = await t.app.inject({ url: '/api/runs/00000000-0000-4000-8000-000000000000', headers: t.auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
    expect((await t.app.inject({ url: '/api/runs/abc', headers: t.auth })).statusCode).toBe(400);
  });

  test('answers 400 for a UUID URN, which PostgreSQL does not read as an id', async () => {
    const res = await t.app.inject({ url: '/api/runs/urn:uuid:00000000-0000-4000-8000-000000000000', headers: t.auth });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: '/id', message: 'params/id must match format "uuid"' }]);
  });
});

describe('POST /api/runs/:id/cancel', () => {
  test('ends a waiting run as exited; a second cancel answers 200 with the run as it is', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('w', 'tst.sleep', { ms: 60_000 })],
      edges: [e('t', 'w')],
    });
    const id = await start(j);
    await runEnds(t.runtime.db, id, ['waiting']);
    const res = await t.app.inject({ method: 'POST', url: `/api/runs/${id}/cancel`, headers: t.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, status: 'exited' });
    expect(res.json().endedAt).not.toBeNull();
    const again = await t.app.inject({ method: 'POST', url: `/api/runs/${id}/cancel`, headers: t.auth });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(res.json());
    const missing = await t.app.inject({
      method: 'POST',
      url: '/api/runs/00000000-0000-4000-8000-000000000000/cancel',
      headers: t.auth,
    });
    expect(missing.statusCode).toBe(404);
  });

  test('lists the steps the cancel stopped apart from the steps, whose statuses stay those of API.md', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('a', 'tst.step'), n('w', 'tst.sleep', { ms: 60_000 })],
      edges: [e('t', 'a'), e('a', 'w')],
    });
    const id = await start(j);
    await runEnds(t.runtime.db, id, ['waiting']);
    const waiting = (await t.app.inject({ url: `/api/runs/${id}`, headers: t.auth })).json();
    const parked = waiting.steps.find((s: { nodeId: string }) => s.nodeId === 'w');
    const cancelled = await t.app.inject({ method: 'POST', url: `/api/runs/${id}/cancel`, headers: t.auth });
    const run = (await t.app.inject({ url: `/api/runs/${id}`, headers: t.auth })).json();
    expect(cancelled.json()).toEqual(run);
    expect(run.steps.map((s: { nodeId: string; status: string }) => [s.nodeId, s.status])).toEqual([
      ['t', 'completed'],
      ['a', 'completed'],
    ]);
    expect(run.cancelledSteps).toEqual([{ nodeId: 'w', startedAt: parked.startedAt, cancelledAt: expect.any(String) }]);
    expect(Date.parse(run.cancelledSteps[0].cancelledAt)).toBeLessThanOrEqual(Date.parse(run.endedAt));
  });

  test('a completed run cannot end as exited: 409 naming its status, the run unchanged', async () => {
    const j = await publish(t.runtime.db, { nodes: [n('t', 'tst.trigger'), n('a', 'tst.step')], edges: [e('t', 'a')] });
    const id = await start(j);
    await runEnds(t.runtime.db, id);
    const res = await t.app.inject({ method: 'POST', url: `/api/runs/${id}/cancel`, headers: t.auth });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'conflict', message: expect.stringContaining('completed') });
    const run = await t.app.inject({ url: `/api/runs/${id}`, headers: t.auth });
    expect(run.json()).toMatchObject({ status: 'completed' });
  });
});
