import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRunsForContacts } from '../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import type { TestApp } from '../support/runtime.js';
import { assignments, e, eventually, experimentsApp, GOAL, makeContacts, n, postEvent, publish } from './support.js';

// experiments.md "Figures": `converted` (goal) counts the entered units with a run through the
// variant that converted, whenever the run converted: before it reached the split too.
let t: TestApp;
let worker: WorkerHandle;
beforeAll(async () => {
  t = await experimentsApp();
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

/** trigger → wait for a "go" event → split a/b → a step per variant. */
const waitThenSplit = {
  nodes: [
    n('t', 'tst.trigger'),
    n('hold', 'tst.await', { event: 'go', ms: 600_000 }),
    n('ab', 'core.split', {
      variants: [
        { key: 'a', weight: 50 },
        { key: 'b', weight: 50 },
      ],
    }),
    n('after-a', 'tst.step'),
    n('after-b', 'tst.step'),
  ],
  edges: [e('t', 'hold'), e('hold', 'ab', 'event'), e('ab', 'after-a', 'a'), e('ab', 'after-b', 'b')],
};

const experimentOf = async (journeyId: string) =>
  (await t.app.inject({ method: 'GET', url: `/api/journeys/${journeyId}/experiments`, headers: t.auth })).json()
    .experiments[0];
const runsOf = async (journeyId: string) =>
  (await t.app.inject({ method: 'GET', url: `/api/runs?journeyId=${journeyId}`, headers: t.auth })).json().runs;

/** Starts a run for the contact, lets it convert while it waits, then releases it through the split. */
async function convertThenSplit(journey: { journeyId: string; version: number }, contactId: string, runs: number) {
  await t.runtime.db
    .transaction()
    .execute((trx) => startRunsForContacts(trx, { ...journey, triggerNodeId: 't', contactIds: [contactId] }));
  await eventually(
    async () =>
      (await runsOf(journey.journeyId)).filter((r: { status: string }) => r.status === 'waiting').length === 1,
  );
  await postEvent(t, contactId, 'purchase');
  await postEvent(t, contactId, 'go');
  await eventually(
    async () =>
      (await runsOf(journey.journeyId)).filter((r: { status: string }) => r.status === 'completed').length === runs,
  );
}

describe('a run that converted before it reached the split', () => {
  test('counts as converted in the variant it then took, once', async () => {
    const journey = await publish(t.runtime.db, waitThenSplit, { goal: GOAL });
    const [contact] = (await makeContacts(t, 1)) as [string];
    await convertThenSplit(journey, contact, 1);
    const [run] = await runsOf(journey.journeyId);
    expect(run.conversion).toEqual({ at: expect.any(String), eventId: expect.any(String) });
    const variant = (await assignments(t, journey.journeyId, [contact])).get(contact)?.variant;
    const e = await experimentOf(journey.journeyId);
    expect(
      e.variants.map((v: { key: string; entered: number; converted: number }) => [v.key, v.entered, v.converted]),
    ).toEqual([
      ['a', variant === 'a' ? 1 : 0, variant === 'a' ? 1 : 0],
      ['b', variant === 'b' ? 1 : 0, variant === 'b' ? 1 : 0],
    ]);
  });

  test('converts a contact assigned on an earlier run when it comes again, once however often', async () => {
    const journey = await publish(t.runtime.db, waitThenSplit, { goal: GOAL });
    const [contact] = (await makeContacts(t, 1)) as [string];
    // The first run passes the split without converting.
    await t.runtime.db
      .transaction()
      .execute((trx) => startRunsForContacts(trx, { ...journey, triggerNodeId: 't', contactIds: [contact] }));
    await eventually(async () => (await runsOf(journey.journeyId))[0]?.status === 'waiting');
    await postEvent(t, contact, 'go');
    await eventually(async () => (await runsOf(journey.journeyId))[0]?.status === 'completed');
    // It started two hours ago: the later purchases fall outside its goal window and convert it not.
    await sql`update runs set started_at = now() - interval '2 hours' where journey_id = ${journey.journeyId}`.execute(
      t.runtime.db,
    );
    const entered = (await experimentOf(journey.journeyId)).variants.map((v: { entered: number }) => v.entered);
    expect((await experimentOf(journey.journeyId)).variants.map((v: { converted: number }) => v.converted)).toEqual([
      0, 0,
    ]);

    await convertThenSplit(journey, contact, 2);
    await convertThenSplit(journey, contact, 3);
    const runs = await runsOf(journey.journeyId);
    expect(runs.map((r: { conversion: unknown }) => r.conversion !== null).sort()).toEqual([false, true, true]);
    const e = await experimentOf(journey.journeyId);
    expect(e.variants.map((v: { entered: number }) => v.entered)).toEqual(entered);
    expect(e.variants.map((v: { converted: number }) => v.converted)).toEqual(entered);
  });
});
