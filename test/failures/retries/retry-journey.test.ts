import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, eventually, n, runEnds, testPackage } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { api, publishAgain, publishJourney, type StandIn, standIn, start } from '../support.js';

// The story of issue 19: a CRM endpoint is down for a while. Runs fail after their policy's
// attempts, a wired error output catches it, a core.run-failed journey sends the alert, and
// once the endpoint is back a bulk retry sends every failed run on, each exactly once.

let t: TestApp;
let worker: WorkerHandle;
let crm: StandIn;

beforeAll(async () => {
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 100, retry: { retryBaseMs: 50 } });
  crm = await standIn();
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await crm?.close();
});

const http = (id: string, path: string, settings?: object) => ({
  ...n(id, 'http.request', { method: 'POST', url: `${crm.url}${path}`, body: '{"run":"{{ run.id }}"}' }),
  ...(settings ? { settings } : {}),
});
const policy = { retry: { attempts: 3, backoff: 'PT0S' } };

/** trigger → sync (http.request, 3 attempts) → done */
const syncGraph = () => ({
  nodes: [n('t', 'tst.trigger'), http('sync', '/contacts', policy), n('done', 'tst.step')],
  edges: [e('t', 'sync', 'out'), e('sync', 'done', 'ok')],
});

const failedRuns: string[] = [];
let sync: { journeyId: string; version: number };
let alerts: { journeyId: string; version: number };

describe('while the endpoint answers 500', () => {
  test('a run fails after its policy’s attempts, with the endpoint’s code on the step and the run', async () => {
    alerts = await publishJourney(
      t,
      {
        nodes: [
          n('t', 'core.run-failed', {}),
          n('alert', 'http.request', {
            method: 'POST',
            url: `${crm.url}/alert`,
            body: '{"run":"{{ trigger.runId }}","code":"{{ trigger.error.code }}","node":"{{ trigger.nodeId }}"}',
          }),
        ],
        edges: [e('t', 'alert')],
      },
      'Alert the owner',
    );
    sync = await publishJourney(t, syncGraph());
    for (let i = 0; i < 3; i++) failedRuns.push(await start(t, sync, { i }));
    for (const id of failedRuns) expect((await runEnds(t.runtime.db, id)).run.status).toBe('failed');

    const { body: run } = await api(t, { url: `/api/runs/${failedRuns[0]}` });
    const error = { code: 'http.status-500', attempts: 3, retryable: true };
    expect(run.steps.map((s: { nodeId: string; status: string }) => [s.nodeId, s.status])).toEqual([
      ['t', 'completed'],
      ['sync', 'failed'],
    ]);
    expect(run.steps[1]).toMatchObject({ attempts: 3, error: { ...error, message: expect.stringContaining('500') } });
    expect(run.failure).toMatchObject({ nodeId: 'sync', error, at: expect.any(String) });
    // Three attempts, each under the step's one idempotency key.
    expect([...crm.calls.values()]).toEqual([3, 3, 3]);
  });

  test('a core.run-failed journey sends the alert for each failure, with the failure as its trigger', async () => {
    await eventually(async () => crm.alerts.length >= 3);
    expect(crm.alerts).toHaveLength(3);
    expect(crm.alerts.map((a) => (a as { run: string }).run).sort()).toEqual([...failedRuns].sort());
    expect(crm.alerts[0]).toMatchObject({ code: 'http.status-500', node: 'sync' });
    const { body } = await api(t, { url: `/api/runs?journeyId=${alerts.journeyId}` });
    expect(body.runs[0].trigger).toMatchObject({
      journeyId: sync.journeyId,
      journeyName: 'CRM sync',
      version: 1,
      nodeId: 'sync',
      nodeType: 'http.request',
      contactId: null,
      error: { code: 'http.status-500', attempts: 3, retryable: true },
      failedAt: expect.any(String),
      trigger: { i: expect.any(Number) },
    });
  });

  test('the error output path runs when wired, and the run goes on instead of failing', async () => {
    const caught = await publishJourney(t, {
      nodes: [
        n('t', 'tst.trigger'),
        http('sync', '/contacts', { retry: { attempts: 2, backoff: 'PT0S' } }),
        n('done', 'tst.step'),
        n('fallback', 'tst.step'),
      ],
      edges: [e('t', 'sync'), e('sync', 'done', 'ok'), e('sync', 'fallback', 'error')],
    });
    const runId = await start(t, caught);
    const { run, steps } = await runEnds(t.runtime.db, runId);
    expect(run.status).toBe('completed');
    expect(steps.map((s) => [s.node_id, s.status])).toEqual([
      ['t', 'completed'],
      ['sync', 'failed'],
      ['fallback', 'completed'],
    ]);
    expect(steps[1]?.output).toMatchObject({
      status: 500,
      body: { answered: 500 },
      error: { code: 'http.status-500', attempts: 2, retryable: true },
    });
    const { body: stats } = await api(t, { url: `/api/journeys/${caught.journeyId}/stats` });
    expect(stats.nodes.sync).toMatchObject({ failed: 1 });
    // Handled failures are not failures of the run: no alert, not in the failures view.
    const { body: view } = await api(t, { url: `/api/journeys/${caught.journeyId}/failures` });
    expect(view).toEqual({ total: 0, nodes: {}, groups: [] });
  });

  test('the failures view groups the failed runs by node and code, with counts and a sample', async () => {
    const { status, body } = await api(t, { url: `/api/journeys/${sync.journeyId}/failures` });
    expect(status).toBe(200);
    expect(body.total).toBe(3);
    expect(body.nodes).toEqual({ sync: 3 });
    expect(body.groups).toEqual([
      {
        nodeId: 'sync',
        code: 'http.status-500',
        count: 3,
        firstAt: expect.any(String),
        lastAt: expect.any(String),
        sample: {
          runId: expect.any(String),
          contactId: null,
          contactEmail: null,
          version: 1,
          error: expect.objectContaining({ code: 'http.status-500', attempts: 3 }),
          at: body.groups[0].lastAt,
        },
      },
    ]);
    expect(failedRuns).toContain(body.groups[0].sample.runId);
  });

  test('GET /api/runs finds a group’s runs by node and by code, a trailing * matching a prefix', async () => {
    const q = `/api/runs?journeyId=${sync.journeyId}&status=failed`;
    expect((await api(t, { url: `${q}&nodeId=sync&code=http.status-5*` })).body.runs).toHaveLength(3);
    expect((await api(t, { url: `${q}&code=http.status-500` })).body.runs).toHaveLength(3);
    expect((await api(t, { url: `${q}&code=http.status-4*` })).body.runs).toHaveLength(0);
    expect((await api(t, { url: `${q}&nodeId=done` })).body.runs).toHaveLength(0);
    // LIKE wildcards in a code match only themselves.
    expect((await api(t, { url: `${q}&code=http.status-5%25` })).body.runs).toHaveLength(0);
  });
});

describe('after the endpoint recovers', () => {
  test('a bulk retry counts first, then completes every failed run exactly once under its old key', async () => {
    const keys = [...crm.calls].filter(([, calls]) => calls === 3).map(([key]) => key);
    expect(keys).toHaveLength(3);
    crm.status = 200;
    const dry = await api(t, {
      method: 'POST',
      url: `/api/journeys/${sync.journeyId}/retry`,
      payload: { codes: ['http.status-5*'], dryRun: true },
    });
    expect(dry).toEqual({ status: 200, body: { matched: 3 } });
    expect((await api(t, { url: `/api/journeys/${sync.journeyId}/failures` })).body.total).toBe(3);

    const queued = await api(t, {
      method: 'POST',
      url: `/api/journeys/${sync.journeyId}/retry`,
      payload: { nodes: ['sync'], codes: ['http.status-5*'] },
    });
    expect(queued.status).toBe(202);
    expect(queued.body).toEqual({ jobId: expect.any(String), matched: 3 });
    const job = await eventually(async () => {
      const { body } = await api(t, { url: `/api/journeys/${sync.journeyId}/retry/${queued.body.jobId}` });
      return body.status === 'completed' && body.runs.completed === 3 ? body : undefined;
    });
    expect(job).toEqual({
      id: queued.body.jobId,
      journeyId: sync.journeyId,
      status: 'completed',
      filter: { nodes: ['sync'], codes: ['http.status-5*'] },
      matched: 3,
      retried: 3,
      skipped: 0,
      runs: { running: 0, waiting: 0, completed: 3, failed: 0, exited: 0 },
      createdAt: expect.any(String),
      finishedAt: expect.any(String),
    });
    // Each failed step's key reached the endpoint once more and succeeded once.
    for (const key of keys) expect(crm.succeeded.get(key)).toBe(1);
    expect(crm.succeeded.size).toBe(3);
    const { body: run } = await api(t, { url: `/api/runs/${failedRuns[0]}` });
    expect(run).toMatchObject({ status: 'completed', endedAt: expect.any(String) });
    expect(run.failure).toBeUndefined();
    expect(run.steps.map((s: { nodeId: string; status: string }) => [s.nodeId, s.status])).toEqual([
      ['t', 'completed'],
      ['sync', 'failed'],
      ['sync', 'completed'],
      ['done', 'completed'],
    ]);
    expect(run.steps[2].attempts).toBe(1);
    expect((await api(t, { url: `/api/journeys/${sync.journeyId}/failures` })).body.total).toBe(0);
  });

  test('a second bulk retry finds nothing left, and the job list shows the first, newest first', async () => {
    const again = await api(t, { method: 'POST', url: `/api/journeys/${sync.journeyId}/retry`, payload: {} });
    expect(again.status).toBe(202);
    expect(again.body.matched).toBe(0);
    const { body } = await api(t, { url: `/api/journeys/${sync.journeyId}/retry` });
    expect(body.jobs).toHaveLength(2);
    expect(body.jobs[0].id).toBe(again.body.jobId);
  });

  test('a run moved onto a newer version on retry finishes on it', async () => {
    crm.status = 503;
    const runId = await start(t, sync);
    expect((await runEnds(t.runtime.db, runId)).run.status).toBe('failed');
    const v2 = await publishAgain(t, sync.journeyId, {
      nodes: [n('t', 'tst.trigger'), http('sync', '/contacts', policy), n('thanks', 'tst.step', { label: 'v2' })],
      edges: [e('t', 'sync'), e('sync', 'thanks', 'ok')],
    });
    crm.status = 201;
    const retried = await api(t, { method: 'POST', url: `/api/runs/${runId}/retry`, payload: { version: v2.version } });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: runId, version: 2, endedAt: null });
    expect(['running', 'completed']).toContain(retried.body.status);
    expect(retried.body.failure).toBeUndefined();
    const { run, steps } = await runEnds(t.runtime.db, runId);
    expect(run).toMatchObject({ status: 'completed', version: 2 });
    expect(steps.map((s) => [s.node_id, s.version, s.status])).toEqual([
      ['t', 1, 'completed'],
      ['sync', 1, 'failed'],
      ['sync', 2, 'completed'],
      ['thanks', 2, 'completed'],
    ]);
  });

  test('a retry that fails again leaves the run failed with the new error and alerts again', async () => {
    crm.status = 500;
    const runId = await start(t, sync);
    await runEnds(t.runtime.db, runId);
    // The first failure's alert may come before or after the run is seen failed: wait for it.
    const alertsOf = () => crm.alerts.filter((a) => (a as { run: string }).run === runId);
    await eventually(async () => alertsOf().length >= 1);
    crm.status = 404;
    const retried = await api(t, { method: 'POST', url: `/api/runs/${runId}/retry` });
    expect(retried.status).toBe(200);
    const { run } = await runEnds(t.runtime.db, runId, ['failed', 'completed'], 10_000);
    expect(run.status).toBe('failed');
    const { body } = await api(t, { url: `/api/runs/${runId}` });
    // A 404 will not pass on another attempt: one attempt, whatever the policy says.
    expect(body.failure.error).toMatchObject({ code: 'http.status-404', attempts: 1, retryable: false });
    await eventually(async () => alertsOf().length >= 2);
    expect(alertsOf().map((a) => (a as { code: string }).code)).toEqual(['http.status-500', 'http.status-404']);
  });
});
