import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { e, eventually, n, runEnds, testPackage } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { makeUser, signIn } from '../teams/support.js';
import { api, publishJourney, start } from './support.js';

/**
 * Failures stay in their workspace: A (the default) has failed runs and a bulk retry; B (a
 * second workspace, its own admin token) sees none of them, retries none of them, and B's
 * `core.run-failed` journey does not fire for A's failures.
 */
let t: TestApp;
let worker: WorkerHandle;
let asB: Record<string, string>;

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 100, retry: { retryBaseMs: 20 } });
  const A = (
    await t.runtime.db.selectFrom('workspaces').select('id').where('is_default', '=', true).executeTakeFirstOrThrow()
  ).id;
  await makeUser(t.runtime.db, 'owner@example.com', A, 'owner');
  const owner = await signIn(t.app, 'owner@example.com');
  const ws = await api(t, { method: 'POST', url: '/api/workspaces', payload: { name: 'B' }, headers: owner.headers });
  const token = await api(t, {
    method: 'POST',
    url: '/api/tokens',
    payload: { name: 'b', scopes: ['admin'] },
    headers: { ...owner.headers, 'x-waymark-workspace': ws.body.id as string },
  });
  asB = { authorization: `Bearer ${token.body.token as string}` };
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

/** trigger → fail (a final NodeError) */
const failing = { nodes: [n('t', 'tst.trigger'), n('fail', 'tst.flaky', { final: true })], edges: [e('t', 'fail')] };
const watcher = { nodes: [n('t', 'core.run-failed', {}), n('a', 'tst.step')], edges: [e('t', 'a')] };

/** B's journey created and published with B's token. */
async function publishInB(graph: object): Promise<string> {
  const created = await api(t, { method: 'POST', url: '/api/journeys', payload: { name: 'B', graph }, headers: asB });
  expect(created.status).toBe(201);
  const published = await api(t, { method: 'POST', url: `/api/journeys/${created.body.id}/publish`, headers: asB });
  expect(published.status).toBe(201);
  return created.body.id as string;
}

const runsOf = async (journeyId: string, headers?: Record<string, string>) =>
  (await api(t, { url: `/api/runs?journeyId=${journeyId}`, ...(headers ? { headers } : {}) })).body.runs as {
    id: string;
    trigger: { runId?: string };
  }[];

describe('failures across workspaces', () => {
  test("a run-failed journey in B does not fire for A's failures; A's own does", async () => {
    const inB = await publishInB(watcher);
    const inA = await publishJourney(t, watcher, 'A watcher');
    const source = await publishJourney(t, failing, 'A source');
    const runId = await start(t, source);
    expect((await runEnds(t.runtime.db, runId)).run.status).toBe('failed');
    await eventually(async () => (await runsOf(inA.journeyId)).find((r) => r.trigger.runId === runId));
    // Both watchers are answered by the one run-failed job: A's started, so B's was passed over.
    expect(await runsOf(inB, asB)).toEqual([]);
    const started = await t.runtime.db.selectFrom('runs').select('id').where('journey_id', '=', inB).execute();
    expect(started).toEqual([]);
  });

  test("B's run-failed journey fires for B's own failures, in B", async () => {
    const inB = await publishInB(watcher);
    const sourceB = await publishInB(failing);
    const version = 1;
    const runId = await start(t, { journeyId: sourceB, version });
    expect((await runEnds(t.runtime.db, runId)).run.status).toBe('failed');
    const alert = await eventually(async () => (await runsOf(inB, asB)).find((r) => r.trigger.runId === runId));
    expect(alert.trigger).toMatchObject({ runId, journeyId: sourceB, nodeId: 'fail' });
  });

  test("B cannot see or retry A's failed runs: 404 not_found, as for an unknown id", async () => {
    const source = await publishJourney(t, failing, 'A failing');
    const runId = await start(t, source);
    expect((await runEnds(t.runtime.db, runId)).run.status).toBe('failed');
    const job = await api(t, {
      method: 'POST',
      url: `/api/journeys/${source.journeyId}/retry`,
      payload: { dryRun: false },
    });
    expect(job.status).toBe(202);
    const jobId = job.body.jobId as string;
    for (const [method, url, payload] of [
      ['GET', `/api/journeys/${source.journeyId}/failures`],
      ['POST', `/api/journeys/${source.journeyId}/retry`, { dryRun: true }],
      ['POST', `/api/journeys/${source.journeyId}/retry`, {}],
      ['GET', `/api/journeys/${source.journeyId}/retry`],
      ['GET', `/api/journeys/${source.journeyId}/retry/${jobId}`],
      ['POST', `/api/journeys/${source.journeyId}/retry/${jobId}/cancel`],
      ['POST', `/api/runs/${runId}/retry`, {}],
    ] as const) {
      const res = await api(t, { method, url, headers: asB, ...(payload ? { payload } : {}) });
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(res.body.error.code, `${method} ${url}`).toBe('not_found');
    }
    // A still sees its job, made by A alone.
    const jobs = await api(t, { url: `/api/journeys/${source.journeyId}/retry` });
    expect(jobs.body.jobs.map((j: { id: string }) => j.id)).toEqual([jobId]);
  });

  test("GET /api/runs failure filters find none of A's failed runs for B", async () => {
    const source = await publishJourney(t, failing, 'A filtered');
    const runId = await start(t, source);
    expect((await runEnds(t.runtime.db, runId)).run.status).toBe('failed');
    const inA = await api(t, { url: '/api/runs?nodeId=fail&code=node.*' });
    expect(inA.body.runs.map((r: { id: string }) => r.id)).toContain(runId);
    for (const query of ['nodeId=fail', 'code=node.*', 'status=failed', `journeyId=${source.journeyId}&code=*`]) {
      const res = await api(t, { url: `/api/runs?${query}`, headers: asB });
      expect(res.status, query).toBe(200);
      expect(
        res.body.runs.map((r: { id: string }) => r.id),
        query,
      ).not.toContain(runId);
    }
  });
});
