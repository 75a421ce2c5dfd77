import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRun } from '../../../engine/runs/entry/start.js';
import { journeyStats } from '../../../engine/runs/stats.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { calls, e, n, publish, runEnds, testPackage } from '../support.js';

let t: TestRuntime;
let worker: WorkerHandle;

beforeAll(async () => {
  t = await createTestRuntime();
  t.runtime.registry.add(testPackage);
  worker = await startWorker(t.runtime, { retry: { retryBaseMs: 100 }, pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

async function start(journey: { journeyId: string; version: number }, trigger: Record<string, never> | object = {}) {
  const started = await t.runtime.db
    .transaction()
    .execute((trx) =>
      startRun(trx, { ...journey, triggerNodeId: 't', contactId: null, trigger: trigger as Record<string, never> }),
    );
  if (!started) throw new Error('not started');
  return started.runId;
}

describe('a run', () => {
  test('walks a linear journey, trigger first, each step completed once with its output', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('a', 'tst.step', { label: 'hi {{ trigger.name }}' }), n('b', 'tst.step')],
      edges: [e('t', 'a'), e('a', 'b')],
    });
    const runId = await start(j, { name: 'Ada' });
    const { run, steps } = await runEnds(t.runtime.db, runId);
    expect(run.status).toBe('completed');
    expect(run.ended_at).not.toBeNull();
    expect(steps.map((s) => [s.node_id, s.status])).toEqual([
      ['t', 'completed'],
      ['a', 'completed'],
      ['b', 'completed'],
    ]);
    expect(steps[1]?.output).toEqual({ label: 'hi Ada', seen: ['t'] });
    expect(steps[2]?.output).toEqual({ label: null, seen: ['a', 't'] });
  });

  test('follows the branch an inline condition picks, in the same transaction as the step before', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('c', 'tst.if', { key: 'vip' }), n('y', 'tst.step'), n('no', 'tst.step')],
      edges: [e('t', 'c'), e('c', 'y', 'yes'), e('c', 'no', 'no')],
    });
    const runId = await start(j, { vip: true });
    const { steps } = await runEnds(t.runtime.db, runId);
    expect(steps.map((s) => s.node_id)).toEqual(['t', 'c', 'y']);
    expect(steps[1]?.outputs_taken).toEqual(['yes']);
    const stats = await journeyStats(t.runtime.db, j.journeyId, j.version);
    expect(stats.outputs.c).toEqual({ yes: 1 });
    expect(stats.nodes.y).toEqual({ entered: 1, completed: 1, failed: 0, waiting: 0 });
    expect(stats.nodes.no).toBeUndefined();
  });

  test('forks a token on an output wired to two targets and on two outputs taken', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('f', 'tst.both'), n('a1', 'tst.step'), n('a2', 'tst.step'), n('b', 'tst.step')],
      edges: [e('t', 'f'), e('f', 'a1', 'a'), e('f', 'a2', 'a'), e('f', 'b', 'b')],
    });
    const runId = await start(j);
    const { run, steps } = await runEnds(t.runtime.db, runId);
    expect(run.status).toBe('completed');
    expect(steps.map((s) => s.node_id).sort()).toEqual(['a1', 'a2', 'b', 'f', 't']);
    expect(steps.every((s) => s.status === 'completed')).toBe(true);
  });

  test('a run ended inline on one branch of a fork cancels the inline step it had not reached', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('c', 'tst.if', { key: 'vip' }), n('x1', 'core.exit'), n('x2', 'core.exit')],
      edges: [e('t', 'c'), e('c', 'x1', 'yes'), e('c', 'x2', 'yes')],
    });
    const runId = await start(j, { vip: true });
    const { run, steps } = await runEnds(t.runtime.db, runId);
    expect(run.status).toBe('completed');
    const statuses = () => steps.map((s) => [s.node_id, s.status]).sort();
    expect(statuses()).toEqual([
      ['c', 'completed'],
      ['t', 'completed'],
      ['x1', 'completed'],
      ['x2', 'cancelled'],
    ]);
    // The cancelled step's job, if it has one, finds it cancelled and leaves it so.
    await new Promise((r) => setTimeout(r, 500));
    const after = await runEnds(t.runtime.db, runId);
    expect(after.steps.map((s) => [s.node_id, s.status]).sort()).toEqual(statuses());
  });

  test('an inline fork whose branches go on inline records each step after the step it came from', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [
        n('t', 'tst.trigger'),
        n('c', 'tst.if', { key: 'vip' }),
        n('l1', 'tst.if', { key: 'vip' }),
        n('l2', 'tst.if', { key: 'vip' }),
        n('r1', 'tst.if', { key: 'vip' }),
        n('x', 'core.exit'),
      ],
      edges: [e('t', 'c'), e('c', 'l1', 'yes'), e('c', 'r1', 'yes'), e('l1', 'l2', 'yes'), e('r1', 'x', 'yes')],
    });
    const runId = await start(j, { vip: true });
    const { run, steps } = await runEnds(t.runtime.db, runId);
    expect(run.status).toBe('completed');
    const nodeOf = new Map(steps.map((s) => [s.id, s.node_id]));
    const cameFrom = steps.map((s) => [s.node_id, s.parent_step_id ? nodeOf.get(s.parent_step_id) : null]).sort();
    expect(cameFrom).toEqual([
      ['c', 't'],
      ['l1', 'c'],
      ['l2', 'l1'],
      ['r1', 'c'],
      ['t', null],
      ['x', 'r1'],
    ]);
  });

  test('parks on a time wait, reports waiting, and runs the node again when the time comes', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('w', 'tst.sleep', { ms: 1200 }), n('a', 'tst.step')],
      edges: [e('t', 'w'), e('w', 'a')],
    });
    const began = Date.now();
    const runId = await start(j);
    await runEnds(t.runtime.db, runId, ['waiting']);
    expect((await journeyStats(t.runtime.db, j.journeyId)).nodes.w?.waiting).toBe(1);
    const { run, steps } = await runEnds(t.runtime.db, runId);
    expect(Date.now() - began).toBeGreaterThanOrEqual(1150);
    expect(run.status).toBe('completed');
    expect(steps.map((s) => [s.node_id, s.status])).toEqual([
      ['t', 'completed'],
      ['w', 'completed'],
      ['a', 'completed'],
    ]);
    expect((await journeyStats(t.runtime.db, j.journeyId)).nodes.w?.waiting).toBe(0);
  });

  test('retries a retryable error with backoff, then fails the step with the error kept and the run failed', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('x', 'tst.flaky', { failures: 5 }), n('a', 'tst.step')],
      edges: [e('t', 'x'), e('x', 'a')],
    });
    const runId = await start(j);
    const { run, steps } = await runEnds(t.runtime.db, runId);
    expect(run.status).toBe('failed');
    const x = steps.find((s) => s.node_id === 'x');
    expect(x?.status).toBe('failed');
    expect(x?.attempts).toBe(3);
    // A RetryableError without a code is node.exception, the engine's retried code (failures.md).
    expect(x?.error).toMatchObject({ message: 'gateway said no (3)', code: 'node.exception', retryable: true });
    expect(steps.some((s) => s.node_id === 'a')).toBe(false);
    const key = x?.id;
    const attempts = calls.filter((c) => c.key === key).map((c) => c.attempt);
    expect(attempts).toEqual([1, 2, 3]);
  });

  test('succeeds after retries while the idempotency key stays the same', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('x', 'tst.flaky', { failures: 1 })],
      edges: [e('t', 'x')],
    });
    const runId = await start(j);
    const { run, steps } = await runEnds(t.runtime.db, runId);
    expect(run.status).toBe('completed');
    expect(steps[1]).toMatchObject({ status: 'completed', attempts: 2, output: { attempt: 2 } });
  });

  test('fails at once on a NodeError', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('x', 'tst.flaky', { final: true })],
      edges: [e('t', 'x')],
    });
    const { run, steps } = await runEnds(t.runtime.db, await start(j));
    expect(run.status).toBe('failed');
    expect(steps[1]).toMatchObject({ status: 'failed', attempts: 1, error: { message: 'this is final' } });
  });

  test('fails a step whose node returns garbage, with a clear error, and the worker goes on', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('g', 'tst.garbage')],
      edges: [e('t', 'g')],
    });
    const { steps } = await runEnds(t.runtime.db, await start(j));
    expect(steps[1]?.status).toBe('failed');
    expect(steps[1]?.error).toMatchObject({ message: expect.stringMatching(/invalid result/) });
    const next = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('a', 'tst.step')],
      edges: [e('t', 'a')],
    });
    expect((await runEnds(t.runtime.db, await start(next))).run.status).toBe('completed');
  });

  test('times out a hung node, retries it, then fails it', async () => {
    const j = await publish(t.runtime.db, { nodes: [n('t', 'tst.trigger'), n('h', 'tst.hang')], edges: [e('t', 'h')] });
    const { steps } = await runEnds(t.runtime.db, await start(j));
    expect(steps[1]).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: { code: 'node.timeout', attempts: 2, retryable: true },
    });
  });

  test('stays on the version it started on after a newer version is published', async () => {
    const v1 = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('w', 'tst.sleep', { ms: 800 }), n('a', 'tst.step', { label: 'v1' })],
      edges: [e('t', 'w'), e('w', 'a')],
    });
    const runId = await start(v1);
    await runEnds(t.runtime.db, runId, ['waiting']);
    await publish(
      t.runtime.db,
      {
        nodes: [n('t', 'tst.trigger'), n('w', 'tst.sleep', { ms: 800 }), n('a', 'tst.step', { label: 'v2' })],
        edges: [e('t', 'w'), e('w', 'a')],
      },
      {},
      v1.journeyId,
    );
    const { run, steps } = await runEnds(t.runtime.db, runId);
    expect(run.version).toBe(1);
    expect(steps[2]?.output).toMatchObject({ label: 'v1' });
  });
});
