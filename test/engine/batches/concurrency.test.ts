import { setTimeout as sleep } from 'node:timers/promises';
import { defineNode, definePackage } from '@waymark/sdk';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { insertRuns } from '../../../engine/runs/entry/insert-runs.js';
import { BATCH_CONCURRENCY } from '../../../engine/runs/step/run-batch.js';
import { loadVersion } from '../../../engine/runs/versions.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { e, eventually, n, publish, testPackage } from '../support.js';

// Nodes that count how many of their tokens were running at once, each holding its token for
// 400 ms: far longer than a batch takes to start its tokens, so every token that may run
// alongside another does.
const running = new Map<string, { now: number; most: number }>();

function holding(type: string, concurrency?: number, inline = false) {
  return defineNode({
    type,
    ...(inline ? { inline } : {}),
    version: 1,
    kind: 'action',
    title: type,
    description: '',
    category: 'Test',
    ...(concurrency === undefined ? {} : { concurrency }),
    params: { type: 'object', properties: {} },
    outputs: ['out'],
    async run() {
      const count = running.get(type) ?? { now: 0, most: 0 };
      running.set(type, count);
      count.now += 1;
      count.most = Math.max(count.most, count.now);
      await sleep(400);
      count.now -= 1;
      return { next: 'out' };
    },
  });
}

const holdingPackage = definePackage({
  name: 'holding-nodes',
  version: '1.0.0',
  nodes: [
    holding('hold.default'),
    holding('hold.four', 4),
    holding('hold.batch', 100),
    holding('hold.odd', 0.5),
    holding('hold.inline', undefined, true),
  ],
});

let t: TestRuntime;
let worker: WorkerHandle;
beforeAll(async () => {
  t = await createTestRuntime();
  t.runtime.registry.add(testPackage);
  t.runtime.registry.add(holdingPackage);
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

/** Runs `contacts` contacts (one job's batch) through a journey whose one step is `type`; the most that ran it at once. */
async function mostAtOnce(type: string, contacts = 100): Promise<number> {
  const j = await publish(t.runtime.db, {
    nodes: [n('t', 'tst.trigger'), n('hold', type), n('done', 'core.exit')],
    edges: [e('t', 'hold'), e('hold', 'done')],
  });
  const version = await loadVersion(t.runtime.db, j.journeyId, j.version);
  if (!version) throw new Error('no version');
  const { rows } = await sql<{ id: string }>`
    insert into contacts (workspace_id, email)
    select (select id from workspaces where is_default), 'c' || g || '-' || gen_random_uuid() || '@concurrency.test'
    from generate_series(1, ${contacts}::int) g returning id`.execute(t.runtime.db);
  await insertRuns(t.runtime.db, {
    version,
    triggerNodeId: 't',
    output: 'out',
    contacts: { ids: rows.map((r) => r.id) },
    trigger: {},
  });
  await eventually(async () => {
    const { rows: done } = await sql<{ n: number }>`
      select count(*)::int as n from runs where journey_id = ${j.journeyId} and status = 'completed'`.execute(
      t.runtime.db,
    );
    return (done[0]?.n ?? 0) === contacts || undefined;
  }, 30_000);
  return running.get(type)?.most ?? 0;
}

describe("a batch's tokens running their node at once (concurrency)", () => {
  test('a node that declares nothing runs 32 of them at once', async () => {
    expect(BATCH_CONCURRENCY).toBe(32);
    expect(await mostAtOnce('hold.default')).toBe(32);
  }, 40_000);

  test('a node declaring concurrency 4 never runs more than 4 at once', async () => {
    expect(await mostAtOnce('hold.four', 12)).toBe(4);
  }, 40_000);

  test('a node declaring concurrency 100 runs the whole batch at once', async () => {
    expect(await mostAtOnce('hold.batch')).toBe(100);
  }, 40_000);

  test('an inline node that declares nothing runs the whole batch at once', async () => {
    expect(await mostAtOnce('hold.inline')).toBe(100);
  }, 40_000);

  test('a concurrency that is not a whole number of at least 1 counts as undeclared', async () => {
    expect(await mostAtOnce('hold.odd')).toBe(32);
  }, 40_000);
});
