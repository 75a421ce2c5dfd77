import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JourneySettings } from '../../engine/graph/types.js';
import { endRuns } from '../../engine/runs/end-runs.js';
import { startRun } from '../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import type { TestApp } from '../support/runtime.js';
import { e, eventually, experimentsApp, GOAL, makeContacts, n, postEvent, publish } from './support.js';

// contracts/experiments.md: "exitOnGoal: true: a converting run that is still running or
// waiting ends at once with status exited and outcome "goal"; none of its later steps run."
// API.md "Runs": a cancelled run ends as exited, and its later steps do not run either.
let t: TestApp;
let worker: WorkerHandle;
beforeAll(async () => {
  t = await experimentsApp();
  worker = await startWorker(t.runtime, { pollInterval: 100 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const db = () => t.runtime.db;
const call = (method: 'GET' | 'POST', url: string) => t.app.inject({ method, url, headers: t.auth });

/** trigger → a call that takes 1.5 s → crm.tag "after-call" → exit: the tag node runs inline after the call. */
const callThenTag = () => ({
  nodes: [
    n('t', 'tst.trigger'),
    n('call', 'tst.slow', { ms: 1500 }),
    n('tag', 'crm.tag', { action: 'add', tag: 'after-call' }),
    n('done', 'core.exit'),
  ],
  edges: [e('t', 'call'), e('call', 'tag'), e('tag', 'done')],
});

/** Starts a run for a new contact and waits until its call is under way. */
async function runInCall(settings: Partial<JourneySettings>) {
  const j = await publish(db(), callThenTag(), settings);
  const [contactId] = (await makeContacts(t, 1)) as [string];
  const started = await db()
    .transaction()
    .execute((trx) => startRun(trx, { ...j, triggerNodeId: 't', contactId, trigger: {} }));
  const runId = started?.runId as string;
  await eventually(async () => {
    const step = await db()
      .selectFrom('steps')
      .select('status')
      .where('run_id', '=', runId)
      .where('node_id', '=', 'call')
      .executeTakeFirst();
    return step?.status === 'running';
  });
  return { runId, contactId };
}

/** Waits past the call's end, then reads what the run and its contact show. */
async function afterTheCall(runId: string, contactId: string) {
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const run = (await call('GET', `/api/runs/${runId}`)).json();
  const contact = (await call('GET', `/api/contacts/${contactId}`)).json();
  return {
    run,
    tags: contact.tags.map((x: { tag: string }) => x.tag),
    nodes: run.steps.map((s: { nodeId: string }) => s.nodeId),
  };
}

describe('a run that ends while one of its calls is under way', () => {
  test('with exitOnGoal, the goal ends it as exited/goal and the tag node after the call never runs', async () => {
    const { runId, contactId } = await runInCall({ goal: { ...GOAL, exitOnGoal: true } } as Partial<JourneySettings>);
    await postEvent(t, contactId, 'purchase');
    const { run, tags, nodes } = await afterTheCall(runId, contactId);
    expect(run).toMatchObject({ status: 'exited', outcome: 'goal' });
    expect(nodes).not.toContain('tag');
    expect(tags).not.toContain('after-call');
  });

  test('a cancel ends it as exited and the tag node after the call never runs', async () => {
    const { runId, contactId } = await runInCall({});
    expect((await call('POST', `/api/runs/${runId}/cancel`)).statusCode).toBe(200);
    const { run, tags, nodes } = await afterTheCall(runId, contactId);
    expect(run.status).toBe('exited');
    expect(nodes).not.toContain('tag');
    expect(tags).not.toContain('after-call');
  });

  test('a run being ended as the call answers lets no write of the tag node after it through', async () => {
    const { runId, contactId } = await runInCall({});
    // An end under way (a cancel, an exitOn event) holds its run's lock, not committed yet, as the
    // call answers: its run still reads as running, and the tag node runs.
    await db()
      .transaction()
      .execute(async (trx) => {
        await sql`select 1 from runs where id = ${runId} for update`.execute(trx);
        await eventually(async () => {
          const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`.execute(db());
          return (rows[0]?.n ?? 0) > 0;
        });
        await endRuns(trx, { runIds: [runId] }, 'exited');
      });
    const { run, tags, nodes } = await afterTheCall(runId, contactId);
    expect(run.status).toBe('exited');
    expect(nodes).not.toContain('tag');
    expect(tags).not.toContain('after-call');
  });

  test('a run left alone goes on to tag its contact after the call', async () => {
    const { runId, contactId } = await runInCall({});
    await eventually(async () => (await call('GET', `/api/runs/${runId}`)).json().status === 'completed');
    const { tags, nodes } = await afterTheCall(runId, contactId);
    expect(nodes).toContain('tag');
    expect(tags).toContain('after-call');
  });
});
