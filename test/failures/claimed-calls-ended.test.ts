import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { retryRuns } from '../../engine/runs/failures/retry-runs.js';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { e, eventually, n, runEnds, testPackage } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { api, publishJourney, start } from './support.js';

// A batch claims the tokens of a node that calls out and runs 32 of them at once: those it
// had not started when their runs ended (an archive here; a cancel or an exitOn alike) make
// no call. An erase ends them too, and removes their steps: a token whose step is gone makes
// no call either (before, a step not found was read as still running).

const HOLD_MS = 1500;

let t: TestApp;
let worker: WorkerHandle;
let server: Server;
let url: string;
/** When each call arrived, and what the receiver answers. */
const arrivals: number[] = [];
let status = 500;

beforeAll(async () => {
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 100, retry: { retryBaseMs: 20 } });
  // A slow receiver: it answers each call HOLD_MS after it arrived (at once while failing).
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrivals.push(Date.now());
      const answer = () => res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      if (status === 500) answer();
      else setTimeout(answer, HOLD_MS);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/contacts`;
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/**
 * Sixty runs (of `contactId`, else anonymous) whose `sync` call fails once, retried together:
 * one batch claims their 60 steps, and 32 of them are under way (held by the receiver) on return.
 */
async function claimedTogether(contactId: string | null = null) {
  const j = await publishJourney(t, {
    nodes: [
      n('t', 'tst.trigger'),
      { ...n('sync', 'http.request', { method: 'POST', url, body: '{}' }), settings: { retry: { attempts: 1 } } },
      n('done', 'tst.step'),
    ],
    edges: [e('t', 'sync'), e('sync', 'done', 'ok')],
  });
  status = 500;
  const runIds: string[] = [];
  for (let i = 0; i < 60; i++) runIds.push(await start(t, j, { i }, contactId));
  for (const id of runIds) expect((await runEnds(t.runtime.db, id)).run.status).toBe('failed');
  status = 200;
  arrivals.length = 0;
  // One statement queues the 60 retried steps as one job: one batch claims them all.
  expect(await t.runtime.db.transaction().execute((trx) => retryRuns(trx, runIds))).toHaveLength(60);
  await eventually(async () => arrivals.length >= 32);
  return j;
}

describe('tokens of a calling node claimed by a batch', () => {
  test('those not started when an archive ended their runs make no call', async () => {
    const j = await claimedTogether();
    const archived = await api(t, { method: 'DELETE', url: `/api/journeys/${j.journeyId}` });
    expect(archived.status).toBe(204);
    const answeredAt = Date.now();
    // The first 32 are held by the receiver until well after; the 28 others would start then.
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS + 1500));
    expect(arrivals.filter((at) => at > answeredAt)).toEqual([]);
    expect(arrivals).toHaveLength(32);
    const { body } = await api(t, { url: `/api/runs?journeyId=${j.journeyId}&status=exited&limit=100` });
    expect(body.runs).toHaveLength(60);
  });

  test('those not started when their contact was erased make no call', async () => {
    const created = await api(t, { method: 'POST', url: '/api/contacts', payload: { email: 'erased@example.com' } });
    const contactId = created.body.id as string;
    await claimedTogether(contactId);

    expect((await api(t, { method: 'DELETE', url: `/api/contacts/${contactId}` })).status).toBe(204);
    const answeredAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS + 1500));
    expect(arrivals.filter((at) => at > answeredAt)).toEqual([]);
    expect(arrivals).toHaveLength(32);
  });
});
