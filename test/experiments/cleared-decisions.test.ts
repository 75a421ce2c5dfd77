import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decideDueExperiments } from '../../engine/experiments/decide.js';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { createJourney } from '../api/journeys/support.js';
import type { TestApp } from '../support/runtime.js';
import { experimentsApp, makeContacts, runThrough, splitGraph } from './support.js';

// experiments.md: a standing decision is cleared by publishing a version without its variant,
// as by DELETE …/winner; either way splitting by weight resumes and a new test period starts.
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

const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });
const WINNER = { metric: 'click', after: 'PT30S', minPerVariant: 20 };

describe('a decision cleared by publishing', () => {
  test('starts a new test period, and nothing is decided before it ends', async () => {
    const id = await createJourney(t, {
      name: 'Cleared by a publish',
      graph: splitGraph(
        [
          { key: 'a', weight: 50 },
          { key: 'b', weight: 50 },
        ],
        WINNER,
      ),
    });
    expect((await call('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
    await runThrough(t, { journeyId: id, version: 1 }, await makeContacts(t, 10));
    expect((await call('POST', `/api/journeys/${id}/nodes/ab/winner`, { variant: 'a' })).statusCode).toBe(200);
    // The first test period ended long ago while the override stood.
    await sql`update split_tests set started_at = now() - interval '1 hour' where journey_id = ${id}`.execute(
      t.runtime.db,
    );

    const bc = [
      { key: 'b', weight: 50 },
      { key: 'c', weight: 50 },
    ];
    expect((await call('PUT', `/api/journeys/${id}/draft`, { graph: splitGraph(bc, WINNER) })).statusCode).toBe(200);
    const before = Date.now();
    expect((await call('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
    const after = Date.now();

    expect(await decideDueExperiments(t.runtime.db, new Date())).toBe(0);
    const [e] = (await call('GET', `/api/journeys/${id}/experiments`)).json().experiments;
    expect(e).toMatchObject({ status: 'testing', decision: null });
    expect(e.history.map((d: { kind: string; clearedAt: string | null }) => [d.kind, d.clearedAt !== null])).toEqual([
      ['override', true],
    ]);
    const startedAt = new Date(e.startedAt).getTime();
    expect(startedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(startedAt).toBeLessThanOrEqual(after + 1000);
    expect(new Date(e.endsAt).getTime() - startedAt).toBe(30_000);

    // At the new period's end it is decided once, from the figures then.
    expect(await decideDueExperiments(t.runtime.db, new Date(new Date(e.endsAt).getTime() + 1))).toBe(1);
    const [decided] = (await call('GET', `/api/journeys/${id}/experiments`)).json().experiments;
    expect(decided.decision).toMatchObject({ kind: 'no-winner', reason: 'too-few-contacts' });
  }, 60_000);
});
