import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { queueOrphanedSteps } from '../../../engine/runs/dispatch.js';
import { insertRuns } from '../../../engine/runs/entry/insert-runs.js';
import { foldCounters } from '../../../engine/runs/fold-counters.js';
import { journeyStats } from '../../../engine/runs/stats.js';
import { loadVersion } from '../../../engine/runs/versions.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { e, eventually, n, publish, runEnds, testPackage } from '../support.js';

let t: TestRuntime;
let worker: WorkerHandle;

beforeAll(async () => {
  t = await createTestRuntime();
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const graph = () => ({
  nodes: [n('hook', 'core.webhook', { secret: 'a-webhook-secret-of-some-length' }), n('a', 'tst.step')],
  edges: [e('hook', 'a')],
});

describe('steps a webhook committed but never queued', () => {
  test('are queued by the sweeper once they are old enough, and run', async () => {
    const j = await publish(t.runtime.db, graph());
    const version = await loadVersion(t.runtime.db, j.journeyId, j.version);
    if (!version) throw new Error('no version');
    // A process that commits the run and dies before its dispatcher queues the job.
    const started = await insertRuns(t.runtime.db, {
      version,
      triggerNodeId: 'hook',
      output: 'out',
      contacts: { ids: [null] },
      trigger: {},
      dispatch: true,
    });
    const runId = started.runIds[0] ?? '';
    expect(started.dispatch.stepIds).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 500));
    const waiting = await t.runtime.db.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirst();
    expect(waiting?.status).toBe('running');

    expect(await queueOrphanedSteps(t.runtime.db, 60)).toBe(0);
    expect(await queueOrphanedSteps(t.runtime.db, 0)).toBe(1);
    const { run, steps } = await runEnds(t.runtime.db, runId);
    expect(run.status).toBe('completed');
    expect(steps.map((s) => [s.node_id, s.status])).toEqual([
      ['hook', 'completed'],
      ['a', 'completed'],
    ]);
    expect(await queueOrphanedSteps(t.runtime.db, 0)).toBe(0);
  });
});

describe('node counters', () => {
  test('stay exact when the scattered shards are folded into one row per node and output', async () => {
    const j = await publish(t.runtime.db, graph());
    const version = await loadVersion(t.runtime.db, j.journeyId, j.version);
    if (!version) throw new Error('no version');
    const input = { version, triggerNodeId: 'hook', output: 'out', contacts: { ids: [null] }, trigger: {} };
    const runIds: string[] = [];
    for (let i = 0; i < 5; i++) runIds.push(...(await insertRuns(t.runtime.db, input)).runIds);
    for (const id of runIds) await runEnds(t.runtime.db, id);
    const before = await journeyStats(t.runtime.db, j.journeyId);
    expect(before.nodes.a).toMatchObject({ entered: 5, completed: 5 });

    await eventually(async () => (await foldCounters(t.runtime.db)) === 0);
    expect(await journeyStats(t.runtime.db, j.journeyId)).toEqual(before);
    const rows = await sql<{ n: number }>`
      select count(*)::int as n from node_counters where journey_id = ${j.journeyId}
    `.execute(t.runtime.db);
    // hook (own counts + output out), a (own counts + output out): one row each after the fold.
    expect(rows.rows[0]?.n).toBe(4);
  });
});

describe("a connection's counter writes", () => {
  test('add to one shard row of its own, where each batch used to leave a row', async () => {
    const j = await publish(t.runtime.db, graph());
    const add = () =>
      sql`select waymark_add_counters(${JSON.stringify([
        { journeyId: j.journeyId, version: j.version, nodeId: 'a', entered: 1 },
      ])}::json)`;
    const rows = async () =>
      (
        await sql<{ shard: number; entered: number }>`
          select shard, entered::int from node_counters
          where journey_id = ${j.journeyId} and node_id = 'a' and output = '' order by shard`.execute(t.runtime.db)
      ).rows;

    await t.runtime.db.connection().execute(async (one) => {
      for (let i = 0; i < 3; i++) await add().execute(one);
    });
    expect(await rows()).toEqual([{ shard: expect.any(Number), entered: 3 }]);

    // Two connections at once, one transaction each still open: neither waits on the other's row.
    await t.runtime.db.transaction().execute(async (first) => {
      await add().execute(first);
      await t.runtime.db.transaction().execute(async (second) => {
        await add().execute(second);
      });
    });
    expect((await rows()).reduce((sum, r) => sum + r.entered, 0)).toBe(5);
    expect((await rows()).length).toBeGreaterThan(1);
  });
});

describe("a connection's rollup writes", () => {
  test("are summed in their journey's workspace; a delta naming no journey is dropped", async () => {
    const j = await publish(t.runtime.db, graph());
    const add = (journeyId: string) =>
      sql`select waymark_add_rollups(${JSON.stringify([
        { journeyId, version: j.version, nodeId: 'a', metric: 'entered', n: 1 },
      ])}::json)`;

    const gone = '00000000-0000-7000-8000-000000000000';
    await t.runtime.db.connection().execute(async (one) => {
      for (let i = 0; i < 3; i++) await add(j.journeyId).execute(one);
      await add(gone).execute(one);
    });

    // Summed over shards: the worker's heartbeat may fold them meanwhile.
    const { rows } = await sql<{ journey_id: string; in_workspace: boolean; n: number }>`
      select r.journey_id, bool_and(r.workspace_id = j.workspace_id) as in_workspace, sum(r.n)::int as n
      from journey_rollups r left join journeys j on j.id = r.journey_id
      where r.journey_id in (${j.journeyId}, ${gone}) group by r.journey_id`.execute(t.runtime.db);
    expect(rows).toEqual([{ journey_id: j.journeyId, in_workspace: true, n: 3 }]);
  });
});
