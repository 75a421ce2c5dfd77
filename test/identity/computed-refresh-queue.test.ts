import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { queueComputedRefresh } from '../../engine/computed/schedule.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

// The refresh task queues its next run from what it read when it started. A definition saved
// while it ran queued a refresh for now, and the task's own queueing replaced it: the new
// attribute stayed `computing` for up to a minute (a CI run waited 10 s and saw it so).
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const queuedInSeconds = async () => {
  const { rows } = await t.runtime.pool.query<{ seconds: number }>(
    `select extract(epoch from run_at - now())::float8 as seconds from graphile_worker.jobs
     where task_identifier = 'waymark.computed'`,
  );
  return rows.map((r) => r.seconds);
};

describe('the computed attributes refresh', () => {
  test('a definition saved while the task runs is refreshed at once, not when the task next looks', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/computed-attributes/orders',
      headers: t.auth,
      payload: { definition: { kind: 'aggregate', fn: 'count', event: 'order' } },
    });
    expect(res.statusCode).toBe(201);
    // What the task queues when it read no attribute due: its longest sleep.
    await queueComputedRefresh(t.runtime.db, 60_000, { keepQueued: true });
    const [seconds, ...more] = await queuedInSeconds();
    expect(more).toEqual([]);
    expect(seconds).toBeLessThan(1);
  });

  test('the task queues its next run when nothing else is queued', async () => {
    await t.runtime.pool.query(`select graphile_worker.remove_job('waymark.computed')`);
    await queueComputedRefresh(t.runtime.db, 60_000, { keepQueued: true });
    const [seconds] = await queuedInSeconds();
    expect(seconds).toBeGreaterThan(50);
  });
});
