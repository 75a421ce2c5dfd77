import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decideDueExperiments } from '../../engine/experiments/decide.js';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import type { TestApp } from '../support/runtime.js';
import { experimentsApp, GOAL, makeContacts, postEvent, publish, runThrough, splitGraph } from './support.js';

// experiments.md "Automatic winner", at the edges of what a split can be.
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

const experimentOf = async (journeyId: string) =>
  (await t.app.inject({ method: 'GET', url: `/api/journeys/${journeyId}/experiments`, headers: t.auth })).json()
    .experiments[0];
/** Moves the split's test period into the past and lets the automatic decision run. */
const endTestPeriod = async (journeyId: string) => {
  await sql`update split_tests set started_at = now() - interval '1 hour' where journey_id = ${journeyId}`.execute(
    t.runtime.db,
  );
  await decideDueExperiments(t.runtime.db, new Date());
};

describe('the automatic winner of a split with one variant', () => {
  test('is that variant once it has minPerVariant contacts, not "too few contacts"', async () => {
    const winner = { metric: 'goal', after: 'PT10S', minPerVariant: 3 };
    const journey = await publish(t.runtime.db, splitGraph([{ key: 'b', weight: 100 }], winner), { goal: GOAL });
    const contacts = await makeContacts(t, 3);
    await runThrough(t, journey, contacts);
    await postEvent(t, contacts[0] as string, 'purchase');
    await endTestPeriod(journey.journeyId);
    const e = await experimentOf(journey.journeyId);
    expect(e.status).toBe('winner');
    expect(e.decision).toMatchObject({ kind: 'winner', variant: 'b', method: 'two-proportion-z', pValue: null });
    expect(e.decision.reason).toBeUndefined();
    expect(e.decision.figures).toEqual([{ key: 'b', entered: 3, converted: 1, rate: 1 / 3 }]);
  });

  test('is none, for too few contacts, while it has fewer than minPerVariant', async () => {
    const winner = { metric: 'goal', after: 'PT10S', minPerVariant: 5 };
    const journey = await publish(t.runtime.db, splitGraph([{ key: 'b', weight: 100 }], winner), { goal: GOAL });
    await runThrough(t, journey, await makeContacts(t, 4));
    await endTestPeriod(journey.journeyId);
    expect((await experimentOf(journey.journeyId)).decision).toMatchObject({
      kind: 'no-winner',
      reason: 'too-few-contacts',
    });
  });
});

describe('the automatic decision', () => {
  test('is made only for a split with a winner param, however long one without it has run', async () => {
    const ab = [
      { key: 'a', weight: 50 },
      { key: 'b', weight: 50 },
    ];
    const plain = await publish(t.runtime.db, splitGraph(ab), { goal: GOAL });
    const deciding = await publish(t.runtime.db, splitGraph(ab, { metric: 'goal', after: 'PT1M', minPerVariant: 1 }), {
      goal: GOAL,
    });
    await runThrough(t, plain, await makeContacts(t, 4));
    await runThrough(t, deciding, await makeContacts(t, 4));
    await endTestPeriod(plain.journeyId);
    await endTestPeriod(deciding.journeyId);
    expect(await experimentOf(plain.journeyId)).toMatchObject({ status: 'testing', decision: null, endsAt: null });
    expect((await experimentOf(deciding.journeyId)).decision).toMatchObject({ kind: 'no-winner' });
  });

  test('waits for the end of the test period', async () => {
    const winner = { metric: 'goal', after: 'PT1H', minPerVariant: 1 };
    const journey = await publish(t.runtime.db, splitGraph([{ key: 'b', weight: 100 }], winner), { goal: GOAL });
    await runThrough(t, journey, await makeContacts(t, 2));
    expect(await decideDueExperiments(t.runtime.db, new Date())).toBe(0);
    const e = await experimentOf(journey.journeyId);
    expect(e).toMatchObject({ status: 'testing', decision: null });
    expect(await decideDueExperiments(t.runtime.db, new Date(new Date(e.endsAt).getTime() - 1))).toBe(0);
    expect(await decideDueExperiments(t.runtime.db, new Date(e.endsAt))).toBe(1);
    expect((await experimentOf(journey.journeyId)).decision).toMatchObject({ kind: 'winner', variant: 'b' });
  });
});
