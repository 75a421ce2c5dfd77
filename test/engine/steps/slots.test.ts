import { defineNode, definePackage } from '@waymark/sdk';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { createTestRuntime, gauge, type TestRuntime } from '../../support/runtime.js';
import { e, eventually, n, publish, runEnds, startAtTrigger, testPackage } from '../support.js';

/** Nodes that hold their step until the test opens the gate, counting those held. */
class Gate {
  held = 0;
  mostHeld = 0;
  #open: Promise<void>;
  #release = () => {};

  constructor() {
    this.#open = new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  async pass(): Promise<void> {
    this.held += 1;
    this.mostHeld = Math.max(this.mostHeld, this.held);
    await this.#open;
    this.held -= 1;
  }

  open(): void {
    this.#release();
  }
}

let gate = new Gate();

const gatedNode = (type: string, inline: boolean) =>
  defineNode({
    type,
    version: 1,
    kind: 'action',
    title: type,
    description: '',
    category: 'Test',
    inline,
    params: { type: 'object', properties: {} },
    outputs: ['out'],
    async run() {
      await gate.pass();
      return { next: 'out' };
    },
  });

const gatedPackage = definePackage({
  name: 'gated-steps',
  version: '1.0.0',
  nodes: [gatedNode('gate.inline', true), gatedNode('gate.call', false)],
});

const SLOTS = 2;
let t: TestRuntime;
let worker: WorkerHandle | null = null;

beforeAll(async () => {
  // The step kernel's pool sets the slots: two batches of inline nodes at once.
  t = await createTestRuntime({ WAYMARK_STEP_POOL_MAX: String(SLOTS), WAYMARK_WORKER_CONCURRENCY: '10' });
  t.runtime.registry.add(testPackage);
  t.runtime.registry.add(gatedPackage);
});
afterEach(async () => {
  gate.open();
  await worker?.stop();
  worker = null;
  gate = new Gate();
});
afterAll(async () => {
  await t?.close();
});

const db = () => t.runtime.db;

/** Starts `count` runs of a journey whose first node is `type`, each its own job. */
async function startRuns(type: string, count: number): Promise<string[]> {
  const j = await publish(db(), { nodes: [n('t', 'tst.trigger'), n('g', type)], edges: [e('t', 'g')] });
  const runIds: string[] = [];
  for (let i = 0; i < count; i++) runIds.push(await startAtTrigger(db(), j, null));
  return runIds;
}

/** Waits until the worker has taken `count` jobs (each then runs, or waits for a slot). */
const jobsTaken = (count: number) =>
  eventually(async () => {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from graphile_worker._private_jobs where locked_at is not null
    `.execute(db());
    return (rows[0]?.n ?? 0) >= count;
  });

describe('step slots', () => {
  test('a process runs at most its step pool size of inline batches at once; the others wait and then run', async () => {
    const runIds = await startRuns('gate.inline', 5);
    worker = await startWorker(t.runtime, { pollInterval: 100 });
    await jobsTaken(5);
    await eventually(async () => gate.held === SLOTS);
    // Give a batch let through by mistake the time to reach its node.
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(gate.held).toBe(SLOTS);
    expect(await gauge(t.runtime, 'waymark_step_slots_busy')).toBe(SLOTS);
    expect(await gauge(t.runtime, 'waymark_step_slots_waiting')).toBe(5 - SLOTS);

    gate.open();
    for (const runId of runIds) expect((await runEnds(db(), runId)).run.status).toBe('completed');
    expect(gate.mostHeld).toBe(SLOTS);
  });

  test('batches of a node that calls out hold a slot only for their start: all of them wait on their node at once', async () => {
    const runIds = await startRuns('gate.call', 5);
    worker = await startWorker(t.runtime, { pollInterval: 100 });

    await eventually(async () => gate.held === 5);
    gate.open();

    for (const runId of runIds) expect((await runEnds(db(), runId)).run.status).toBe('completed');
  });
});
