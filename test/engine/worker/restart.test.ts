import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import type { WorkerEvents, WorkerPool } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { buildApp } from '../../../server/app.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { e, eventually, n, publish, runEnds, testPackage } from '../support.js';

const SECRET = 'a-webhook-secret-of-some-length';
let t: TestRuntime;
let app: FastifyInstance;
let worker: WorkerHandle;
const pools: WorkerPool[] = [];

beforeAll(async () => {
  t = await createTestRuntime();
  t.runtime.registry.add(testPackage);
  const events = new EventEmitter() as WorkerEvents;
  events.on('pool:create', ({ workerPool }) => pools.push(workerPool));
  worker = await startWorker(t.runtime, { pollInterval: 100, events });
  app = await buildApp(t.runtime, { serveEditor: false, workerRunning: () => worker.running() });
});
afterAll(async () => {
  await app?.close();
  await worker?.stop();
  await t?.close();
});

async function health(): Promise<{ statusCode: number; body: unknown }> {
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  return { statusCode: res.statusCode, body: res.json() };
}

describe('a worker whose graphile-worker runner stops on its own', () => {
  test('is started again, /healthz naming it 503 meanwhile, and new runs complete', async () => {
    const firstId = worker.id;
    // What graphile-worker does when its pool gives up on a database error ("worker pool exited
    // with error: timeout exceeded when trying to connect"): it shuts the pool down, and its
    // runner stops for good.
    await pools[0]?.gracefulShutdown('Could not completeJobs; queue is in an inconsistent state; aborting.');
    expect(await eventually(async () => (await health()).statusCode === 503 && health())).toEqual({
      statusCode: 503,
      body: { ok: false, reason: 'the worker is not running' },
    });

    await eventually(async () => worker.running());
    expect(pools).toHaveLength(2);
    expect(worker.id).not.toBe(firstId);
    expect(await health()).toEqual({ statusCode: 200, body: { ok: true } });
    const graph = {
      nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('a', 'tst.step')],
      edges: [e('hook', 'a')],
    };
    const { journeyId } = await publish(t.runtime.db, graph);
    const call = await app.inject({
      method: 'POST',
      url: `/hooks/${journeyId}/hook`,
      headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET },
      payload: '{}',
    });
    expect((await runEnds(t.runtime.db, call.json().runId)).run.status).toBe('completed');
  });
});
