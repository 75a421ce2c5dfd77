import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { retryRuns } from '../../../engine/runs/failures/retry-runs.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { e, n, runEnds, testPackage } from '../../engine/support.js';
import { untilSomeoneWaits } from '../../support/lock-waits.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { api, publishJourney, type StandIn, standIn, start } from '../support.js';

// A retry and an archive of one journey at once: whichever commits first, no run of the
// archived journey goes on, and none calls out after the archive answered.

let t: TestApp;
let worker: WorkerHandle;
let crm: StandIn;

beforeAll(async () => {
  t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 100, retry: { retryBaseMs: 20 } });
  crm = await standIn();
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await crm?.close();
});

/** A published trigger → sync (http.request, one attempt) → done journey with `count` runs failed at sync. */
async function failedRuns(count: number) {
  crm.status = 500;
  const j = await publishJourney(t, {
    nodes: [
      n('t', 'tst.trigger'),
      {
        ...n('sync', 'http.request', { method: 'POST', url: `${crm.url}/contacts`, body: '{}' }),
        settings: { retry: { attempts: 1 } },
      },
      n('done', 'tst.step'),
    ],
    edges: [e('t', 'sync'), e('sync', 'done', 'ok')],
  });
  const runIds: string[] = [];
  for (let i = 0; i < count; i++) runIds.push(await start(t, j, { i }));
  for (const id of runIds) expect((await runEnds(t.runtime.db, id)).run.status).toBe('failed');
  crm.status = 200;
  // Stopped until the race is over: whatever the worker then finds queued, it finds after the archive.
  await worker.stop();
  return { journeyId: j.journeyId, runIds };
}

/** Starts the worker again and waits for what it would have called out for. */
async function noCallAfterWorkerStarts(before: number): Promise<void> {
  worker = await startWorker(t.runtime, { pollInterval: 100, retry: { retryBaseMs: 20 } });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(callsMade()).toBe(before);
}

const callsMade = () => [...crm.calls.values()].reduce((a, b) => a + b, 0);

const statuses = async (runIds: string[]) =>
  (await t.runtime.db.selectFrom('runs').select('status').where('id', 'in', runIds).execute()).map((r) => r.status);

/** A promise the test settles, and its settle function. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** Resolves when `p` settles or after `ms`, whichever comes first. */
const settledOrAfter = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.catch(() => {}), new Promise((resolve) => setTimeout(resolve, ms))]);

describe('an archive beside a retry', () => {
  test('an archive meeting a bulk retry’s chunk in flight ends the runs the chunk retried', async () => {
    const { journeyId, runIds } = await failedRuns(5);
    const before = callsMade();
    const held = gate();
    const release = gate();
    // The bulk job's chunk (runBulkRetry: retryRuns in one transaction), held open before its commit.
    const chunk = t.runtime.db.transaction().execute(async (trx) => {
      const retried = await retryRuns(trx, runIds);
      held.open();
      await release.opened;
      return retried;
    });
    await held.opened;
    const archive = api(t, { method: 'DELETE', url: `/api/journeys/${journeyId}` });
    await settledOrAfter(archive, 500);
    release.open();
    expect(await chunk).toHaveLength(5);
    expect((await archive).status).toBe(204);

    expect(await statuses(runIds)).toEqual(['exited', 'exited', 'exited', 'exited', 'exited']);
    await noCallAfterWorkerStarts(before);
  });

  test('an archive meeting POST /api/runs/:id/retry in flight ends the run it retried', async () => {
    const { journeyId, runIds } = await failedRuns(1);
    const [runId] = runIds as [string];
    const before = callsMade();
    // The retry's statement held before its commit: the node counters it adds to are locked.
    const holder = t.runtime.db.transaction().execute(async (trx) => {
      await sql`lock table node_counters in share mode`.execute(trx);
      const retry = api(t, { method: 'POST', url: `/api/runs/${runId}/retry`, payload: {} });
      await untilSomeoneWaits(t.runtime.db, 'the retry');
      const archive = api(t, { method: 'DELETE', url: `/api/journeys/${journeyId}` });
      await settledOrAfter(archive, 500);
      return { retry, archive };
    });
    const { retry, archive } = await holder;
    expect((await retry).status).toBe(200);
    expect((await archive).status).toBe(204);

    expect(await statuses(runIds)).toEqual(['exited']);
    await noCallAfterWorkerStarts(before);
  });
});
