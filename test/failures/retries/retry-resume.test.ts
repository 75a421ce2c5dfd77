import { sql } from 'kysely';
import { beforeAll, describe, expect, test } from 'vitest';
import { startRun } from '../../../engine/runs/entry/start.js';
import { runBulkRetry } from '../../../engine/runs/failures/bulk-retry.js';
import { e, eventually, n, publish, runEnds } from '../../engine/support.js';
import { openLiveFeed } from '../../support/live-client.js';
import { TEST_TOKEN, type TestApp } from '../../support/runtime.js';
import { api, withWorkingApp } from '../support.js';

// A retried run goes on where it stood (contracts/failures.md "Retrying runs"): it takes its
// contact's re-entry lock again, its parked tokens keep their due time, and the live feed
// shows the step taken up again.

const working = withWorkingApp();
let t: TestApp;
beforeAll(() => {
  t = working.app();
});

type J = { journeyId: string; version: number };

async function contact(): Promise<string> {
  const row = await t.runtime.db
    .insertInto('contacts')
    .values({
      workspace_id: sql`(select id from workspaces where is_default)`,
      email: `c${Math.random().toString(36).slice(2)}@example.com`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Starts a run for `contactId` at trigger `t`; null when re-entry turns the contact away. */
function startFor(j: J, contactId: string | null, trigger = {}) {
  return t.runtime.db.transaction().execute((trx) => startRun(trx, { ...j, triggerNodeId: 't', contactId, trigger }));
}

async function failedRunOf(j: J, contactId: string | null, trigger = {}): Promise<string> {
  const started = await startFor(j, contactId, trigger);
  if (!started) throw new Error('turned away');
  expect((await runEnds(t.runtime.db, started.runId)).run.status).toBe('failed');
  return started.runId;
}

const retry = (runId: string, payload: object = {}) =>
  api(t, { method: 'POST', url: `/api/runs/${runId}/retry`, payload });

/** trigger → if `park` in the trigger: a day's wait, else a step that always fails. */
const onceAtATime = () =>
  publish(
    t.runtime.db,
    {
      nodes: [
        n('t', 'tst.trigger'),
        n('if', 'tst.if', { key: 'park' }),
        n('park', 'core.wait', { duration: 'P1D' }),
        n('fail', 'tst.flaky', { final: true }),
      ],
      edges: [e('t', 'if'), e('if', 'park', 'yes'), e('if', 'fail', 'no')],
    },
    { reentry: 'once-at-a-time' },
  );

describe('re-entry "once at a time" and retries', () => {
  test('a retried run holds its contact again: while it lives, the contact is turned away', async () => {
    const j = await onceAtATime();
    const who = await contact();
    const runId = await failedRunOf(j, who);
    // v2: the failed node is now a wait, so the retried run stays live.
    const v2 = await publish(
      t.runtime.db,
      {
        nodes: [n('t', 'tst.trigger'), n('fail', 'core.wait', { duration: 'P1D' })],
        edges: [e('t', 'fail')],
      },
      { reentry: 'once-at-a-time' },
      j.journeyId,
    );
    const res = await retry(runId, { version: v2.version });
    expect(res.status).toBe(200);
    await runEnds(t.runtime.db, runId, ['waiting']);
    expect(await startFor(v2, who)).toBeNull();
    // Another contact is not held by it.
    expect(await startFor(v2, await contact())).not.toBeNull();
  });

  test('a failed run is not retried while its contact is in another live run of the journey: 409', async () => {
    const j = await onceAtATime();
    const who = await contact();
    const failed = await failedRunOf(j, who);
    const live = await startFor(j, who, { park: true });
    expect(live).not.toBeNull();
    await runEnds(t.runtime.db, live?.runId ?? '', ['waiting']);
    const res = await retry(failed);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect(res.body.error.message).toContain('once at a time');
    expect((await api(t, { url: `/api/runs/${failed}` })).body.status).toBe('failed');
  });

  test('a bulk retry skips such a run, and retries only one of a contact’s failed runs', async () => {
    const j = await onceAtATime();
    const busy = await contact();
    const twice = await contact();
    const heldBack = await failedRunOf(j, busy);
    await startFor(j, busy, { park: true });
    const first = await failedRunOf(j, twice);
    const second = await failedRunOf(j, twice);
    const created = await api(t, { method: 'POST', url: `/api/journeys/${j.journeyId}/retry`, payload: {} });
    expect(created.status).toBe(202);
    expect(created.body.matched).toBe(3);
    await runBulkRetry(t.runtime.db, created.body.jobId);
    const job = await eventually(async () => {
      const r = await api(t, { url: `/api/journeys/${j.journeyId}/retry/${created.body.jobId}` });
      return r.body.status === 'completed' && r.body;
    });
    expect(job).toMatchObject({ matched: 3, retried: 1, skipped: 2 });
    expect((await api(t, { url: `/api/runs/${heldBack}` })).body.status).toBe('failed');
    // The one retried fails again (the step always fails): two failed `fail` steps; the other keeps one.
    const failedSteps = async (id: string) =>
      (await api(t, { url: `/api/runs/${id}` })).body.steps.filter((s: { nodeId: string }) => s.nodeId === 'fail')
        .length as number;
    await eventually(async () => (await failedSteps(first)) + (await failedSteps(second)) === 3);
    expect([await failedSteps(first), await failedSteps(second)].sort()).toEqual([1, 2]);
  });
});

/** trigger → both a wait (`wait`, then `after`) and, 300 ms later, a step that fails. */
async function parallelFailure(wait: ReturnType<typeof n>): Promise<{ runId: string; dueAt: Date; fixed: number }> {
  const graph = (fail: ReturnType<typeof n>) => ({
    nodes: [n('t', 'tst.trigger'), wait, n('after', 'tst.step'), n('slow', 'tst.sleep', { ms: 300 }), fail],
    edges: [
      e('t', 'wait'),
      e('wait', 'after', wait.type === 'core.wait' ? 'out' : 'timeout'),
      // The failure comes once the wait has parked.
      e('t', 'slow'),
      e('slow', 'fail'),
    ],
  });
  const j = await publish(t.runtime.db, graph(n('fail', 'tst.flaky', { final: true })));
  const runId = await failedRunOf(j, await contact());
  // The fix: a version whose `fail` step succeeds, for the retry to move onto.
  const { version: fixed } = await publish(t.runtime.db, graph(n('fail', 'tst.step')), {}, j.journeyId);
  const step = await t.runtime.db
    .selectFrom('steps')
    .select(['status', 'wake_at'])
    .where('run_id', '=', runId)
    .where('node_id', '=', 'wait')
    .executeTakeFirstOrThrow();
  expect(step.status).toBe('cancelled');
  if (!step.wake_at) throw new Error('the wait was not parked before the failure');
  return { runId, dueAt: new Date(step.wake_at), fixed };
}

describe('a retried run’s waits keep their due time', () => {
  test('a token parked in core.wait parks again until the time it had, not a new day from the retry', async () => {
    const { runId, dueAt, fixed } = await parallelFailure(n('wait', 'core.wait', { duration: 'P1D' }));
    await new Promise((r) => setTimeout(r, 300));
    expect((await retry(runId, { version: fixed })).status).toBe(200);
    const { steps } = await runEnds(t.runtime.db, runId, ['waiting']);
    const wait = steps.find((s) => s.node_id === 'wait');
    expect(wait?.status).toBe('waiting');
    expect(new Date(wait?.wake_at ?? 0).toISOString()).toBe(dueAt.toISOString());
  });

  test('a wait for an event keeps its deadline', async () => {
    const { runId, dueAt, fixed } = await parallelFailure(
      n('wait', 'core.wait-for-event', { event: 'paid', timeout: 'P2D' }),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect((await retry(runId, { version: fixed })).status).toBe(200);
    const deadline = await eventually(async () => {
      const w = await t.runtime.db
        .selectFrom('waits')
        .select('deadline')
        .where('run_id', '=', runId)
        .executeTakeFirst();
      return w?.deadline;
    });
    expect(new Date(deadline).toISOString()).toBe(dueAt.toISOString());
  });

  test('a wait whose due time passed while the run was failed lets its token go on at once', async () => {
    const { runId, dueAt, fixed } = await parallelFailure(n('wait', 'core.wait', { duration: 'PT1S' }));
    await new Promise((r) => setTimeout(r, Math.max(0, dueAt.getTime() - Date.now()) + 300));
    const retriedAt = Date.now();
    expect((await retry(runId, { version: fixed })).status).toBe(200);
    const { steps } = await runEnds(t.runtime.db, runId, ['completed']);
    const after = steps.find((s) => s.node_id === 'after');
    expect(after?.status).toBe('completed');
    // Released at once, not a second after the retry.
    expect(new Date(after?.finished_at ?? 0).getTime() - retriedAt).toBeLessThan(900);
  });
});

describe('the live feed at a retry', () => {
  test('shows the failed step’s node taken up again, as "retried"', async () => {
    const j = await publish(t.runtime.db, {
      nodes: [n('t', 'tst.trigger'), n('fail', 'tst.flaky', { final: true })],
      edges: [e('t', 'fail')],
    });
    const runId = await failedRunOf(j, null);
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { socket, messages } = await openLiveFeed<{ nodeId: string; status: string; runId: string }>(
      address.replace('http', 'ws'),
      `token=${TEST_TOKEN}&journeyId=${j.journeyId}`,
    );
    await new Promise((r) => setTimeout(r, 300)); // the LISTEN connection settles
    expect((await retry(runId)).status).toBe(200);
    await eventually(async () => messages.length >= 2);
    socket.close();
    expect(messages[0]).toEqual({
      type: 'step',
      journeyId: j.journeyId,
      version: j.version,
      runId,
      nodeId: 'fail',
      status: 'retried',
    });
    // Then the retried step fails again, as any step finishing.
    expect(messages[1]).toMatchObject({ runId, nodeId: 'fail', status: 'failed' });
  });
});
