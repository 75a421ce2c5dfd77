import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { processIdentity } from '../../engine/observability/identity.js';
import { startTracing, type Tracing } from '../../engine/observability/tracing.js';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { e, n, publish, runEnds, testPackage } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { freePort } from './support/processes.js';

const SECRET = 'a-webhook-secret-of-some-length';
const saved = { ...process.env };
let tracing: Tracing | null;
let t: TestApp;
let worker: WorkerHandle;

beforeAll(async () => {
  // A collector address where nothing listens: every export fails.
  Object.assign(process.env, {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
    OTEL_BSP_SCHEDULE_DELAY: '20',
  });
  tracing = startTracing(processIdentity('all'), '0.1.0');
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 100 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await tracing?.shutdown();
  process.env = saved;
});

describe('a collector that is down', () => {
  test('fails no webhook and no step: the spans are dropped', async () => {
    expect(tracing).not.toBeNull();
    const j = await publish(t.runtime.db, {
      nodes: [n('hook', 'core.webhook', { secret: SECRET }), n('a', 'tst.step'), n('b', 'tst.step')],
      edges: [e('hook', 'a'), e('a', 'b')],
    });
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/hooks/${j.journeyId}/hook`,
        headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET },
        payload: JSON.stringify({ i }),
      });
      expect(res.statusCode).toBe(202);
      const { run, steps } = await runEnds(t.runtime.db, res.json().runId);
      expect(run.status).toBe('completed');
      // The run was traced: its context is stored, though no span could be delivered.
      expect(run.trace_context).toMatchObject({
        traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
      });
      expect(steps.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
    }
  });
});
