import { type KyselyPlugin, RawNode, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { insertRuns } from '../../../engine/runs/entry/insert-runs.js';
import { loadVersion } from '../../../engine/runs/versions.js';
import { startWorker } from '../../../engine/worker/start-worker.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { e, eventually, n, publish, testPackage } from '../support.js';

let t: TestRuntime;

beforeAll(async () => {
  t = await createTestRuntime({ WAYMARK_STEP_POOL_MAX: '2' });
  t.runtime.registry.add(testPackage);
});
afterAll(async () => {
  await t?.close();
});

/** The kernel statements a database handle was given, by the function they call. */
function watched(): { plugin: KyselyPlugin; seen: Set<string> } {
  const seen = new Set<string>();
  const plugin: KyselyPlugin = {
    transformQuery({ node }) {
      if (RawNode.is(node))
        for (const f of node.sqlFragments)
          for (const name of ['waymark_start_steps', 'waymark_write_steps', 'into contact_tags'])
            if (f.includes(name)) seen.add(name);
      return node;
    },
    async transformResult({ result }) {
      return result;
    },
  };
  return { plugin, seen };
}

describe('the step kernel’s pool', () => {
  test('a batch starts, writes and tags its steps on the step pool, whose connections plan generically', async () => {
    const kernel = watched();
    const main = watched();
    t.runtime.stepDb = t.runtime.stepDb.withPlugin(kernel.plugin);
    t.runtime.db = t.runtime.db.withPlugin(main.plugin);
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('tag', 'crm.tag', { action: 'add', tag: 'pooled' }), n('x', 'core.exit')],
      edges: [e('t', 'tag'), e('tag', 'x')],
    });
    const version = await loadVersion(t.runtime.db, j.journeyId, j.version);
    if (!version) throw new Error('no version');
    const { rows } = await sql<{ id: string }>`
      insert into contacts (workspace_id, email)
      select (select id from workspaces where is_default), 'pool' || g || '@example.com' from generate_series(1, 150) g
      returning id`.execute(t.runtime.db);
    await insertRuns(t.runtime.db, {
      version,
      triggerNodeId: 't',
      output: 'out',
      contacts: { ids: rows.map((r) => r.id) },
      trigger: {},
    });
    const worker = await startWorker(t.runtime, { pollInterval: 200 });
    try {
      await eventually(async () => {
        const { rows: done } = await sql<{ n: number }>`
          select count(*)::int as n from runs where journey_id = ${j.journeyId} and status = 'completed'`.execute(
          t.runtime.db,
        );
        return done[0]?.n === 150 || undefined;
      }, 20_000);
    } finally {
      await worker.stop();
    }
    expect([...kernel.seen].sort()).toEqual(['into contact_tags', 'waymark_start_steps', 'waymark_write_steps']);
    expect([...main.seen]).toEqual([]);
    const { rows: tagged } = await sql<{ n: number }>`
      select count(*)::int as n from contact_tags where tag = 'pooled'`.execute(t.runtime.db);
    expect(tagged[0]?.n).toBe(150);
    const { rows: mode } = await sql<{ plan_cache_mode: string }>`show plan_cache_mode`.execute(t.runtime.stepDb);
    expect(mode[0]?.plan_cache_mode).toBe('force_generic_plan');
    const { rows: connections } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and application_name = 'waymark steps'`.execute(t.runtime.db);
    expect(connections[0]?.n).toBeGreaterThanOrEqual(1);
    expect(connections[0]?.n).toBeLessThanOrEqual(2);
  });
});
