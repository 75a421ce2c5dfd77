import { randomUUID } from 'node:crypto';
import type { ContactEvent } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bindContact } from '../../../engine/contacts/identity/bind.js';
import { endRuns } from '../../../engine/runs/end-runs.js';
import { startRun, startRunsForContacts } from '../../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { defaultWorkspaceId } from '../../../server/teams/accounts/users.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { applyEvent, e, eventually, n, publish, runEnds, testPackage } from '../support.js';

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

const db = () => t.runtime.db;

function start(journey: { journeyId: string; version: number }, contactId: string | null, trigger = {}) {
  return db()
    .transaction()
    .execute((trx) => startRun(trx, { ...journey, triggerNodeId: 't', contactId, trigger }));
}

function emit(contactId: string, name: string, properties = {}) {
  const event: ContactEvent = { id: randomUUID(), contactId, name, properties, timestamp: new Date().toISOString() };
  return applyEvent(db(), event);
}

const awaitGraph = (params: Record<string, unknown>) => ({
  nodes: [n('t', 'tst.trigger'), n('w', 'tst.await', params), n('ok', 'tst.step'), n('late', 'tst.step')],
  edges: [e('t', 'w'), e('w', 'ok', 'event'), e('w', 'late', 'timeout')],
});

describe('waiting for an event', () => {
  test('resumes on a matching event and passes the event on', async () => {
    const contact = randomUUID();
    const j = await publish(db(), awaitGraph({ event: 'clicked', ms: 20_000 }));
    const started = await start(j, contact);
    const runId = started?.runId as string;
    await runEnds(db(), runId, ['waiting']);
    await emit(contact, 'other');
    await emit(randomUUID(), 'clicked');
    await emit(contact, 'clicked', { key: 'a' });
    const { run, steps } = await runEnds(db(), runId);
    expect(run.status).toBe('completed');
    expect(steps.map((s) => s.node_id)).toEqual(['t', 'w', 'ok']);
    expect(steps[1]?.output).toEqual({ event: { key: 'a' } });
    expect(await db().selectFrom('waits').selectAll().where('run_id', '=', runId).execute()).toEqual([]);
  });

  test('a run whose wait an event resumed is running from the event’s commit, not waiting', async () => {
    const contact = randomUUID();
    const j = await publish(db(), awaitGraph({ event: 'clicked', ms: 20_000 }));
    const runId = (await start(j, contact))?.runId as string;
    await runEnds(db(), runId, ['waiting']);
    await emit(contact, 'clicked', { key: 'b' });
    const run = await db().selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirstOrThrow();
    expect(['running', 'completed']).toContain(run.status);
    expect((await runEnds(db(), runId)).run.status).toBe('completed');
    const counts = await db()
      .selectFrom('runs')
      .select(['open_steps', 'waiting_steps'])
      .where('id', '=', runId)
      .executeTakeFirstOrThrow();
    expect(counts).toEqual({ open_steps: 0, waiting_steps: 0 });
  });

  test('ignores events whose properties fail the filter', async () => {
    const contact = randomUUID();
    const j = await publish(
      db(),
      awaitGraph({ event: 'clicked', ms: 20_000, filter: { attr: 'key', op: 'eq', value: 'b' } }),
    );
    const runId = (await start(j, contact))?.runId as string;
    await runEnds(db(), runId, ['waiting']);
    await emit(contact, 'clicked', { key: 'a' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await runEnds(db(), runId, ['waiting'])).run.status).toBe('waiting');
    await emit(contact, 'clicked', { key: 'b' });
    expect((await runEnds(db(), runId)).steps[1]?.output).toEqual({ event: { key: 'b' } });
  });

  test('takes the timeout output when no event comes in time', async () => {
    const j = await publish(db(), awaitGraph({ event: 'clicked', ms: 1000 }));
    const runId = (await start(j, randomUUID()))?.runId as string;
    const { steps } = await runEnds(db(), runId);
    expect(steps.map((s) => s.node_id)).toEqual(['t', 'w', 'late']);
    expect(steps[1]?.outputs_taken).toEqual(['timeout']);
  });

  test('an event arriving as the timeout fires resumes the token exactly once', async () => {
    const contact = randomUUID();
    const j = await publish(db(), awaitGraph({ event: 'clicked', ms: 700 }));
    const runId = (await start(j, contact))?.runId as string;
    await runEnds(db(), runId, ['waiting']);
    await new Promise((r) => setTimeout(r, 680));
    await emit(contact, 'clicked');
    const { steps } = await runEnds(db(), runId);
    expect(steps).toHaveLength(3);
    expect(['ok', 'late']).toContain(steps[2]?.node_id);
  });
});

describe('journey settings', () => {
  test('exitOn ends the contact’s runs of the journey at once, and nothing after runs', async () => {
    const contact = randomUUID();
    const j = await publish(db(), awaitGraph({ event: 'clicked', ms: 20_000 }), { exitOn: ['purchased'] });
    const runId = (await start(j, contact))?.runId as string;
    await runEnds(db(), runId, ['waiting']);
    await emit(contact, 'purchased');
    const { run, steps } = await runEnds(db(), runId);
    expect(run.status).toBe('exited');
    expect(steps.map((s) => s.status)).toEqual(['completed', 'cancelled']);
    await emit(contact, 'clicked');
    await new Promise((r) => setTimeout(r, 300));
    expect((await runEnds(db(), runId)).steps).toHaveLength(2);
  });

  test('re-entry "once" lets a contact in only once ever', async () => {
    const contact = randomUUID();
    const j = await publish(
      db(),
      { nodes: [n('t', 'tst.trigger'), n('a', 'tst.step')], edges: [e('t', 'a')] },
      { reentry: 'once' },
    );
    const first = await start(j, contact);
    expect(first).not.toBeNull();
    await runEnds(db(), first?.runId as string);
    expect(await start(j, contact)).toBeNull();
    expect(await start(j, randomUUID())).not.toBeNull();
    expect(await start(j, null)).not.toBeNull();
  });

  test('re-entry "once-at-a-time" turns a contact away only while its earlier run lives', async () => {
    const contact = randomUUID();
    const j = await publish(
      db(),
      { nodes: [n('t', 'tst.trigger'), n('w', 'tst.sleep', { ms: 600 })], edges: [e('t', 'w')] },
      { reentry: 'once-at-a-time' },
    );
    const first = await start(j, contact);
    expect(await start(j, contact)).toBeNull();
    await runEnds(db(), first?.runId as string);
    expect(await start(j, contact)).not.toBeNull();
  });

  test('re-entry "always" lets concurrent runs in', async () => {
    const contact = randomUUID();
    const j = await publish(db(), { nodes: [n('t', 'tst.trigger'), n('a', 'tst.step')], edges: [e('t', 'a')] });
    const runs = await Promise.all([start(j, contact), start(j, contact), start(j, contact)]);
    expect(runs.every(Boolean)).toBe(true);
  });

  test('core.exit ends the run completed with its goal as outcome, even with a fork still waiting', async () => {
    const j = await publish(db(), {
      nodes: [
        n('t', 'tst.trigger'),
        n('f', 'tst.both'),
        n('x', 'core.exit', { goal: 'bought' }),
        n('w', 'tst.sleep', { ms: 60_000 }),
      ],
      edges: [e('t', 'f'), e('f', 'x', 'a'), e('f', 'w', 'b')],
    });
    const { run, steps } = await runEnds(db(), (await start(j, null))?.runId as string);
    expect(run).toMatchObject({ status: 'completed', outcome: 'bought' });
    expect(steps.find((s) => s.node_id === 'x')?.status).toBe('completed');
  });

  test('an event starts the core.event journeys listening for it, when their filter matches', async () => {
    // A stored contact: an event starts the journeys of its contact's workspace.
    const contact = (await bindContact(db(), await defaultWorkspaceId(db()), {
      email: 'starter@example.com',
    })) as string;
    const j = await publish(db(), {
      nodes: [
        n('t', 'core.event', { event: 'signed-up', filter: { attr: 'plan', op: 'eq', value: 'pro' } }),
        n('a', 'tst.step', { label: '{{ trigger.properties.plan }}' }),
      ],
      edges: [e('t', 'a')],
    });
    await emit(contact, 'signed-up', { plan: 'free' });
    await emit(contact, 'signed-up', { plan: 'pro' });
    const run = await eventually(() =>
      db().selectFrom('runs').selectAll().where('journey_id', '=', j.journeyId).executeTakeFirst(),
    );
    const { steps } = await runEnds(db(), run.id);
    expect(steps[1]?.output).toMatchObject({ label: 'pro' });
    const all = await db().selectFrom('runs').select('id').where('journey_id', '=', j.journeyId).execute();
    expect(all).toHaveLength(1);
  });

  test('a cancel ends the run as exited', async () => {
    const j = await publish(db(), {
      nodes: [n('t', 'tst.trigger'), n('w', 'tst.sleep', { ms: 60_000 })],
      edges: [e('t', 'w')],
    });
    const runId = (await start(j, null))?.runId as string;
    await runEnds(db(), runId, ['waiting']);
    await db()
      .transaction()
      .execute((trx) => endRuns(trx, { runIds: [runId] }, 'exited'));
    const { run, steps } = await runEnds(db(), runId);
    expect(run.status).toBe('exited');
    expect(steps[1]?.status).toBe('cancelled');
  });

  test('a step cancelled while its node runs records nothing and starts nothing when the node returns', async () => {
    const j = await publish(db(), {
      nodes: [n('t', 'tst.trigger'), n('s', 'tst.slow', { ms: 800 }), n('after', 'tst.step')],
      edges: [e('t', 's'), e('s', 'after')],
    });
    const runId = (await start(j, null))?.runId as string;
    await eventually(async () => {
      const step = await db()
        .selectFrom('steps')
        .select('status')
        .where('run_id', '=', runId)
        .where('node_id', '=', 's')
        .executeTakeFirst();
      return step?.status === 'running';
    });
    await db()
      .transaction()
      .execute((trx) => endRuns(trx, { runIds: [runId] }, 'exited'));
    await new Promise((r) => setTimeout(r, 1500));
    const steps = await db().selectFrom('steps').select(['node_id', 'status']).where('run_id', '=', runId).execute();
    expect(steps.map((s) => [s.node_id, s.status]).sort()).toEqual([
      ['s', 'cancelled'],
      ['t', 'completed'],
    ]);
    const run = await db()
      .selectFrom('runs')
      .select(['status', 'open_steps'])
      .where('id', '=', runId)
      .executeTakeFirst();
    expect(run).toEqual({ status: 'exited', open_steps: 0 });
  });

  test('startRunsForContacts starts many runs set-based and applies re-entry', async () => {
    const j = await publish(
      db(),
      { nodes: [n('t', 'tst.trigger'), n('a', 'tst.step')], edges: [e('t', 'a')] },
      { reentry: 'once' },
    );
    const contacts = Array.from({ length: 50 }, () => randomUUID());
    const started = await db()
      .transaction()
      .execute((trx) => startRunsForContacts(trx, { ...j, triggerNodeId: 't', contactIds: contacts }));
    expect(started).toBe(50);
    const again = await db()
      .transaction()
      .execute((trx) =>
        startRunsForContacts(trx, { ...j, triggerNodeId: 't', contactIds: [...contacts.slice(0, 5), randomUUID()] }),
      );
    expect(again).toBe(1);
    await eventually(async () => {
      const open = await db()
        .selectFrom('runs')
        .select('id')
        .where('journey_id', '=', j.journeyId)
        .where('status', '!=', 'completed')
        .execute();
      return open.length === 0;
    });
  });
});

describe('events stored through the contact store', () => {
  test('recordEvent resumes the contact’s wait in the transaction that stores the event', async () => {
    const { bindContact } = await import('../../../engine/contacts/identity/bind.js');
    const { recordEvent } = await import('../../../engine/events/record.js');
    const contactId = (await bindContact(db(), await defaultWorkspaceId(db()), {
      email: 'waiter@example.com',
    })) as string;
    const j = await publish(db(), awaitGraph({ event: 'clicked', ms: 20_000 }));
    const runId = (await start(j, contactId))?.runId as string;
    await runEnds(db(), runId, ['waiting']);
    await recordEvent(db(), { contactId, name: 'clicked', properties: { key: 'z' } });
    const { steps } = await runEnds(db(), runId);
    expect(steps[1]?.output).toEqual({ event: { key: 'z' } });
  });
});
