import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, n, publish, runForEmail, testPackage } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// The canvas counts are of one version (GET …/stats?version=), so the runs behind them must be too.
let t: TestApp;
let worker: WorkerHandle;
let journeyId: string;
const graph = { nodes: [n('t', 'tst.trigger'), n('w', 'tst.sleep', { ms: 60_000 })], edges: [e('t', 'w')] };

const waitingIn = (version: number, email: string) =>
  runForEmail(t.runtime.db, { journeyId, version, triggerNodeId: 't' }, email, {}, ['waiting']);

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 200 });
  journeyId = (await publish(t.runtime.db, graph)).journeyId;
  await waitingIn(1, 'ada@example.com');
  await publish(t.runtime.db, graph, {}, journeyId);
  await waitingIn(2, 'bob@example.com');
  await waitingIn(2, 'cy@example.com');
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const list = (query: string) => t.app.inject({ url: `/api/runs?${query}`, headers: t.auth });
const emails = async (query: string) =>
  (await list(query))
    .json()
    .runs.map((r: { contactEmail: string }) => r.contactEmail)
    .sort();

describe('GET /api/runs by version', () => {
  test('with journeyId lists only the runs of that version of the journey', async () => {
    const waiting = `journeyId=${journeyId}&step=w&stepStatus=waiting`;
    expect(await emails(`${waiting}&version=2`)).toEqual(['bob@example.com', 'cy@example.com']);
    expect(await emails(`${waiting}&version=1`)).toEqual(['ada@example.com']);
    expect(await emails(`${waiting}&version=3`)).toEqual([]);
    expect(await emails(waiting)).toHaveLength(3);
  });

  test('without journeyId is refused: a version number means nothing across journeys', async () => {
    const res = await list('version=2');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: '/version' }] });
  });

  test('refuses a version that is not a positive integer', async () => {
    for (const version of ['0', '-1', '1.5', 'v2']) {
      expect((await list(`journeyId=${journeyId}&version=${version}`)).statusCode, version).toBe(400);
    }
  });
});
