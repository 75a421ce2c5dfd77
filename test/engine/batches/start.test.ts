import { randomUUID } from 'node:crypto';
import { type ContactEvent, defineNode, definePackage } from '@waymark/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { journeyStats } from '../../../engine/runs/stats.js';
import { startSteps } from '../../../engine/runs/step/start-steps.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { applyEvent, e, eventually, n, publish, runEnds, startAtTrigger, testPackage } from '../support.js';

let t: TestRuntime;
let worker: WorkerHandle | null = null;

/** An inline node that parks until an event, as a wait node does: the writer unparks it. */
const inlinePackage = definePackage({
  name: 'inline-waits',
  version: '1.0.0',
  nodes: [
    defineNode({
      // Its own prefix: a prefix belongs to one package.
      type: 'inl.await',
      version: 1,
      kind: 'wait',
      title: 'Inline await',
      description: '',
      category: 'Test',
      inline: true,
      params: { type: 'object', properties: { event: { type: 'string' } }, required: ['event'] },
      outputs: ['event'],
      async run(ctx) {
        if (ctx.resume?.kind === 'event') return { next: 'event' };
        return { wait: { event: ctx.params.event, timeoutAt: new Date(Date.now() + 60_000) } };
      },
    }),
  ],
});

beforeAll(async () => {
  t = await createTestRuntime();
  t.runtime.registry.add(testPackage);
  t.runtime.registry.add(inlinePackage);
});
afterEach(async () => {
  await worker?.stop();
  worker = null;
});
afterAll(async () => {
  await t?.close();
});

const db = () => t.runtime.db;

async function runWorker(): Promise<void> {
  worker = await startWorker(t.runtime, { pollInterval: 200 });
}

const start = (journey: { journeyId: string; version: number }, contactId: string | null, trigger = {}) =>
  startAtTrigger(db(), journey, contactId, trigger);

/** Stores an event of the contact with its effects (a resumed wait among them). */
async function emit(contactId: string, name: string): Promise<void> {
  const event: ContactEvent = {
    id: randomUUID(),
    contactId,
    name,
    properties: {},
    timestamp: new Date().toISOString(),
  };
  await applyEvent(db(), event);
}

const stepAt = (runId: string, nodeId: string) =>
  db()
    .selectFrom('steps')
    .select(['id', 'status', 'attempts', 'started_at', 'finished_at'])
    .where('run_id', '=', runId)
    .where('node_id', '=', nodeId)
    .executeTakeFirstOrThrow();

const runRow = (runId: string) =>
  db()
    .selectFrom('runs')
    .select(['status', 'open_steps', 'waiting_steps'])
    .where('id', '=', runId)
    .executeTakeFirstOrThrow();

describe("a batch's start", () => {
  test('reads its steps and changes no row', async () => {
    const j = await publish(db(), { nodes: [n('t', 'tst.trigger'), n('a', 'tst.step')], edges: [e('t', 'a')] });
    const runId = await start(j, null);
    const queued = await stepAt(runId, 'a');

    const started = await startSteps(db(), [queued.id]);

    expect(started).toMatchObject([{ id: queued.id, node_id: 'a', attempts: 1 }]);
    expect(await stepAt(runId, 'a')).toMatchObject({ status: 'pending', attempts: 0, started_at: null });
    expect(await runRow(runId)).toMatchObject({ status: 'running', open_steps: 1 });
  });

  test('a step of a node that calls out is marked running, its attempt counted, before its node runs', async () => {
    const j = await publish(db(), {
      nodes: [n('t', 'tst.trigger'), n('s', 'tst.slow', { ms: 600 })],
      edges: [e('t', 's')],
    });
    const runId = await start(j, null);
    await runWorker();

    const running = await eventually(async () => {
      const step = await stepAt(runId, 's');
      return step.status === 'running' ? step : undefined;
    });

    expect(running).toMatchObject({ attempts: 1 });
    expect(running.started_at).not.toBeNull();
    await runEnds(db(), runId);
    expect(await stepAt(runId, 's')).toMatchObject({ status: 'completed', attempts: 1 });
  });

  test("an inline node's step is counted as attempt 1 when its batch is written, started at the batch's start", async () => {
    const j = await publish(db(), {
      nodes: [n('t', 'tst.trigger', {}), n('if', 'tst.if', { key: 'go' }), n('a', 'tst.step')],
      edges: [e('t', 'if'), e('if', 'a', 'yes')],
    });
    const runId = await start(j, null, { go: true });
    await runWorker();

    await runEnds(db(), runId);
    const step = await stepAt(runId, 'if');

    expect(step).toMatchObject({ status: 'completed', attempts: 1 });
    expect(step.started_at!.getTime()).toBeLessThanOrEqual(step.finished_at!.getTime());
  });

  test("a slow node's start time is its batch's start, not the time it was written", async () => {
    const j = await publish(db(), {
      nodes: [n('t', 'tst.trigger'), n('s', 'tst.slow', { ms: 600 })],
      edges: [e('t', 's')],
    });
    const runId = await start(j, null);
    await runWorker();
    await runEnds(db(), runId);

    const step = await stepAt(runId, 's');

    expect(step.finished_at!.getTime() - step.started_at!.getTime()).toBeGreaterThanOrEqual(550);
  });

  test('an inline step an event resumed leaves the waiting counts with the event, its run running', async () => {
    const contact = randomUUID();
    const j = await publish(db(), {
      nodes: [n('t', 'tst.trigger'), n('w', 'inl.await', { event: 'clicked' }), n('ok', 'tst.step')],
      edges: [e('t', 'w'), e('w', 'ok', 'event')],
    });
    const runId = await start(j, contact);
    await runWorker();
    await runEnds(db(), runId, ['waiting']);
    await worker?.stop();
    worker = null;
    await emit(contact, 'clicked');
    const parked = await stepAt(runId, 'w');

    expect(await startSteps(db(), [parked.id])).toMatchObject([{ id: parked.id, resume: { kind: 'event' } }]);
    expect(await runRow(runId)).toMatchObject({ status: 'running', waiting_steps: 0 });
    expect((await journeyStats(db(), j.journeyId)).nodes.w?.waiting).toBe(0);

    await runWorker();
    const { run } = await runEnds(db(), runId);

    expect(run).toMatchObject({ status: 'completed', waiting_steps: 0, open_steps: 0 });
    expect((await journeyStats(db(), j.journeyId)).nodes.w).toMatchObject({ waiting: 0, completed: 1 });
    expect(await stepAt(runId, 'w')).toMatchObject({ status: 'completed', attempts: 1 });
  });

  test('a wait node resumed by an event leaves the waiting counts once', async () => {
    const contact = randomUUID();
    const j = await publish(db(), {
      nodes: [n('t', 'tst.trigger'), n('w', 'tst.await', { event: 'clicked', ms: 60_000 }), n('ok', 'tst.step')],
      edges: [e('t', 'w'), e('w', 'ok', 'event')],
    });
    const runId = await start(j, contact);
    await runWorker();
    await runEnds(db(), runId, ['waiting']);
    await emit(contact, 'clicked');

    const { run } = await runEnds(db(), runId);

    expect(run).toMatchObject({ status: 'completed', waiting_steps: 0, open_steps: 0 });
    expect((await journeyStats(db(), j.journeyId)).nodes.w).toMatchObject({ waiting: 0, completed: 1 });
  });
});
