import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker } from '../../../engine/worker/start-worker.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';

let t: TestRuntime;

beforeAll(async () => {
  t = await createTestRuntime();
});
afterAll(async () => {
  await t?.close();
});

describe('a worker that stops', () => {
  test('leaves no job locked by its pool, so another process takes them at once, not in four hours', async () => {
    const worker = await startWorker(t.runtime, { pollInterval: 100 });
    const { db } = t.runtime;
    // A job the pool had fetched into its local queue when the stop came.
    await sql`select graphile_worker.add_job('waymark.no-such-task', '{}'::json, run_at => now() + interval '1 hour')`.execute(
      db,
    );
    await sql`update graphile_worker._private_jobs set locked_by = ${worker.id}, locked_at = now()`.execute(db);
    await worker.stop();
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from graphile_worker._private_jobs where locked_by is not null`.execute(db);
    expect(rows[0]?.n).toBe(0);
    const left = await db.selectFrom('workers').select('id').execute();
    expect(left).toEqual([]);
  });
});
