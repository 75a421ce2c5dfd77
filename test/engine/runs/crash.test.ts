import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRun } from '../../../engine/runs/entry/start.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { e, eventually, n, publish, testPackage } from '../support.js';

const fixture = fileURLToPath(new URL('../fixtures/worker-process.ts', import.meta.url));
let t: TestRuntime;
const children: ChildProcess[] = [];

beforeAll(async () => {
  t = await createTestRuntime();
  t.runtime.registry.add(testPackage);
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await t?.close();
});

function startWorkerProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, DATABASE_URL: t.database.url },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (data) => {
      if (String(data).includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
}

describe('a worker process killed mid-journey', () => {
  test('its steps run again in the next process: every run completes, no step succeeds twice', async () => {
    const db = t.runtime.db;
    const j = await publish(db, {
      nodes: [
        n('t', 'tst.trigger'),
        n('s1', 'tst.slow', { ms: 250 }),
        n('s2', 'tst.slow', { ms: 250 }),
        n('a', 'tst.step'),
      ],
      edges: [e('t', 's1'), e('s1', 's2'), e('s2', 'a')],
    });
    const RUNS = 16;
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < RUNS; i++) await startRun(trx, { ...j, triggerNodeId: 't', contactId: null, trigger: { i } });
    });
    const first = await startWorkerProcess();
    await eventually(async () => {
      const done = await db
        .selectFrom('steps')
        .select('id')
        .where('node_id', '=', 's1')
        .where('status', '=', 'completed')
        .execute();
      return done.length >= 4;
    }, 20_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const held = await sql<{
      n: number;
    }>`select count(*)::int as n from graphile_worker._private_jobs where locked_by is not null`.execute(db);
    expect(held.rows[0]?.n).toBeGreaterThan(0);

    const began = Date.now();
    const second = await startWorkerProcess();
    await eventually(async () => {
      const open = await db.selectFrom('runs').select('id').where('status', '!=', 'completed').execute();
      return open.length === 0;
    }, 45_000);
    expect(Date.now() - began).toBeLessThan(60_000);

    const steps = await db.selectFrom('steps').select(['run_id', 'node_id', 'status']).execute();
    expect(steps).toHaveLength(RUNS * 4);
    expect(steps.every((s) => s.status === 'completed')).toBe(true);
    const perRun = new Map<string, string[]>();
    for (const s of steps) perRun.set(s.run_id, [...(perRun.get(s.run_id) ?? []), s.node_id]);
    for (const nodes of perRun.values()) expect(nodes.sort()).toEqual(['a', 's1', 's2', 't']);
    const stats = await db
      .selectFrom('node_counters')
      .select((eb) => ['node_id', eb.fn.sum<number>('completed').as('completed')])
      .where('output', '=', '')
      .groupBy('node_id')
      .execute();
    for (const row of stats) expect(Number(row.completed)).toBe(RUNS);
    const workers = await db.selectFrom('workers').select('id').execute();
    expect(workers).toHaveLength(1);
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
  }, 90_000);
});
