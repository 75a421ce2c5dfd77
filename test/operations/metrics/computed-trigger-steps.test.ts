import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, eventually, n, publish } from '../../engine/support.js';
import { completedSteps } from '../../support/prometheus.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// API.md "Metrics": a run's trigger step counts once as `completed` in waymark_steps_total, in
// the process that started the run, whichever trigger started it (core.computed included).
const METRICS_TOKEN = 'metrics-token-0123456789';
let t: TestApp;
let worker: WorkerHandle;

beforeAll(async () => {
  t = await createTestApp({ METRICS_TOKEN });
  worker = await startWorker(t.runtime, { pollInterval: 100 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });

const computedTriggerSteps = () => completedSteps(t.app, METRICS_TOKEN, 'core.computed');

/** Defines a computed attribute (the sum of `event`'s totals) and waits for its first refresh. */
async function defineSpent(name: string, event: string) {
  const put = await call('PUT', `/api/computed-attributes/${name}`, {
    definition: { kind: 'aggregate', fn: 'sum', event, property: 'total' },
  });
  expect(put.statusCode).toBeLessThan(300);
  await eventually(async () => (await call('GET', `/api/computed-attributes/${name}`)).json().status === 'ready');
}

/** A live journey whose contacts enter once `attribute` reaches 100. */
const bigSpenders = (attribute: string) =>
  publish(t.runtime.db, {
    nodes: [n('t', 'core.computed', { attribute, becomes: { op: 'gte', value: 100 } }), n('x', 'core.exit')],
    edges: [e('t', 'x')],
  });

const runsOf = async (journeyId: string) => (await call('GET', `/api/runs?journeyId=${journeyId}`)).json().runs;

describe('waymark_steps_total of core.computed journeys', () => {
  test('a run started by an event that moves the attribute counts its trigger step once as completed', async () => {
    await defineSpent('spentByEvent', 'buy');
    const j = await bigSpenders('spentByEvent');
    const before = await computedTriggerSteps();
    const event = await call('POST', '/api/events', {
      email: 'event-spender@example.com',
      name: 'buy',
      properties: { total: 150 },
    });
    expect(event.statusCode).toBe(202);
    expect(await runsOf(j.journeyId)).toHaveLength(1);
    expect((await computedTriggerSteps()) - before).toBe(1);
  });

  test('a run started by the scheduled refresh counts its trigger step in the worker that refreshed', async () => {
    // The purchases are stored before the attribute exists: its first refresh, in the worker, moves the value.
    const stored = await call('POST', '/api/events', {
      email: 'refresh-spender@example.com',
      name: 'order',
      properties: { total: 120 },
    });
    expect(stored.statusCode).toBe(202);
    const j = await bigSpenders('spentByRefresh');
    const before = await computedTriggerSteps();
    await defineSpent('spentByRefresh', 'order');
    expect(await eventually(async () => (await runsOf(j.journeyId)).length === 1)).toBe(true);
    expect((await computedTriggerSteps()) - before).toBe(1);
  });
});
