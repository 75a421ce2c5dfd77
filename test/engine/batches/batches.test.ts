import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { insertRuns } from '../../../engine/runs/entry/insert-runs.js';
import { loadVersion } from '../../../engine/runs/versions.js';
import { startWorker } from '../../../engine/worker/start-worker.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { e, eventually, n, publish, testPackage } from '../support.js';

let t: TestRuntime;

beforeAll(async () => {
  t = await createTestRuntime();
  t.runtime.registry.add(testPackage);
});
afterAll(async () => {
  await t?.close();
});

async function contacts(count: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    insert into contacts (workspace_id, email) select (select id from workspaces where is_default), 'b' || g || '-' || gen_random_uuid() || '@batch.test'
    from generate_series(1, ${count}::int) g returning id`.execute(t.runtime.db);
  return rows.map((r) => r.id);
}

/** The step jobs queued: each one's payload (a list of steps). */
async function stepJobs(): Promise<
  { payload: { stepId: string; timeout?: boolean }[]; run_at: Date; deferred: boolean }[]
> {
  const { rows } = await sql<{ payload: { stepId: string }[]; run_at: Date; deferred: boolean }>`
    select j.payload, j.run_at, j.run_at > j.created_at + interval '1 second' as deferred
    from graphile_worker._private_jobs j
    join graphile_worker._private_tasks k on k.id = j.task_id where k.identifier = 'waymark.step'`.execute(
    t.runtime.db,
  );
  return rows;
}

describe('steps run in batches', () => {
  test('a start for 250 contacts queues three jobs of one node, not 250', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('a', 'tst.step'), n('b', 'tst.sleep', { ms: 1500 })],
      edges: [e('t', 'a'), e('a', 'b')],
    });
    const version = await loadVersion(t.runtime.db, j.journeyId, j.version);
    if (!version) throw new Error('no version');
    const ids = await contacts(250);
    const { runIds } = await insertRuns(t.runtime.db, {
      version,
      triggerNodeId: 't',
      output: 'out',
      contacts: { ids },
      trigger: {},
    });
    expect(runIds).toHaveLength(250);
    const jobs = await stepJobs();
    expect(jobs.map((job) => job.payload.length).sort((x, y) => x - y)).toEqual([50, 100, 100]);

    // The worker runs them and parks every token in a 1.5-second wait: the parks of a batch
    // due within 200 ms of each other share the job that wakes them.
    const worker = await startWorker(t.runtime, { pollInterval: 200 });
    try {
      await eventually(async () => {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from steps where journey_id = ${j.journeyId} and node_id = 'b' and status = 'waiting'`.execute(
          t.runtime.db,
        );
        return (rows[0]?.n ?? 0) === 250 || undefined;
      }, 20_000);
      // Jobs the worker has yet to clear away (node a's, and the first job of node b) may
      // still be listed: look only at the deferred jobs that carry the parked steps.
      const { rows: parked } = await sql<{ id: string }>`
        select id from steps where journey_id = ${j.journeyId} and node_id = 'b' and status = 'waiting'`.execute(
        t.runtime.db,
      );
      const parkedIds = new Set(parked.map((r) => r.id));
      const wakeUps = (await stepJobs()).filter(
        (job) => job.deferred && job.payload.some((p) => parkedIds.has(p.stepId)),
      );
      expect(wakeUps.length).toBeLessThan(20);
      expect(wakeUps.reduce((sum, job) => sum + job.payload.filter((p) => parkedIds.has(p.stepId)).length, 0)).toBe(
        250,
      );
      await eventually(async () => {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from runs where journey_id = ${j.journeyId} and status = 'completed'`.execute(
          t.runtime.db,
        );
        return (rows[0]?.n ?? 0) === 250 || undefined;
      }, 20_000);
    } finally {
      await worker.stop();
    }
  }, 60_000);
});
