import { defineNode, definePackage } from '@waymark/sdk';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JourneySettings } from '../../engine/graph/types.js';
import { startRun } from '../../engine/runs/entry/start.js';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { createJourney } from '../api/journeys/support.js';
import type { TestApp } from '../support/runtime.js';
import { postTest } from '../test-runs/support.js';
import {
  assignments,
  e,
  eventually,
  experimentsApp,
  GOAL,
  makeContacts,
  n,
  postEvent,
  publish,
  runThrough,
  splitGraph,
} from './support.js';

let t: TestApp;
let worker: WorkerHandle;
beforeAll(async () => {
  t = await experimentsApp();
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const db = () => t.runtime.db;
const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });
const conversionOf = async (runId: string) => (await call('GET', `/api/runs/${runId}`)).json().conversion;
const runOf = async (journeyId: string, contactId: string) => {
  const row = await db()
    .selectFrom('runs')
    .select(['id', 'status', 'outcome'])
    .where('journey_id', '=', journeyId)
    .where('contact_id', '=', contactId)
    .executeTakeFirstOrThrow();
  return row;
};
const startOne = (j: { journeyId: string; version: number }, contactId: string) =>
  db()
    .transaction()
    .execute((trx) => startRun(trx, { ...j, triggerNodeId: 't', contactId, trigger: {} }));
const sleepGraph = () => ({
  nodes: [n('t', 'tst.trigger'), n('wait', 'tst.sleep', { ms: 600_000 }), n('next', 'tst.step')],
  edges: [e('t', 'wait'), e('wait', 'next')],
});

describe('the goal setting', () => {
  test('reads back with exitOnGoal filled in, and null removes it', async () => {
    const id = await createJourney(t, { name: 'G', settings: { goal: { event: 'purchase', windowSeconds: 86400 } } });
    const made = await call('GET', `/api/journeys/${id}`);
    expect(made.json().draft.settings.goal).toEqual({ event: 'purchase', windowSeconds: 86400, exitOnGoal: false });
    const removed = await call('PATCH', `/api/journeys/${id}`, { settings: { goal: null } });
    expect(removed.statusCode).toBe(200);
    expect(removed.json().draft.settings.goal ?? null).toBeNull();
  });

  test("a goal's filter reads back whole, on the journey and on its version", async () => {
    const goal = { event: 'purchase', windowSeconds: 60, filter: { attr: 'amount', op: 'gte', value: 10 } };
    const id = await createJourney(t, { name: 'F', graph: sleepGraph(), settings: { goal } });
    const patched = await call('PATCH', `/api/journeys/${id}`, { settings: { goal } });
    expect(patched.json().draft.settings.goal).toEqual({ ...goal, exitOnGoal: false });
    expect((await call('GET', `/api/journeys/${id}`)).json().draft.settings.goal.filter).toEqual(goal.filter);
    expect((await call('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
    expect((await call('GET', `/api/journeys/${id}/versions/1`)).json().settings.goal.filter).toEqual(goal.filter);
  });

  test('a journey without a goal shows goal null', async () => {
    const id = await createJourney(t, { name: 'N' });
    expect((await call('GET', `/api/journeys/${id}`)).json().draft.settings.goal).toBeNull();
  });

  test('a goal given with the wrong types is refused, not converted', async () => {
    const id = await createJourney(t, { name: 'T' });
    const res = await call('PATCH', `/api/journeys/${id}`, { settings: { goal: { event: 'x', windowSeconds: '60' } } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toContainEqual(expect.objectContaining({ path: '/settings/goal/windowSeconds' }));
  });

  test('a bad goal is refused with the field that is wrong', async () => {
    const id = await createJourney(t, { name: 'Bad goal' });
    const cases: [object, string][] = [
      [{ event: 'purchase', windowSeconds: 0 }, '/settings/goal/windowSeconds'],
      [{ event: 'purchase', windowSeconds: 31_536_001 }, '/settings/goal/windowSeconds'],
      [{ event: '', windowSeconds: 60 }, '/settings/goal/event'],
      [
        { event: 'purchase', windowSeconds: 60, filter: { attr: 'total', op: 'bigger', value: 1 } },
        '/settings/goal/filter',
      ],
      [{ event: 'purchase', windowSeconds: 60, colour: 'red' }, '/settings/goal'],
    ];
    for (const [goal, path] of cases) {
      const res = await call('PATCH', `/api/journeys/${id}`, { settings: { goal } });
      expect(res.statusCode, JSON.stringify(goal)).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
      expect(res.json().error.details[0].path.startsWith(path), res.body).toBe(true);
    }
  });

  test('a split that picks its winner by the goal needs one to publish', async () => {
    const graph = splitGraph(
      [
        { key: 'a', weight: 50 },
        { key: 'b', weight: 50 },
      ],
      { after: 'P7D' },
    );
    const id = await createJourney(t, { name: 'No goal', graph });
    const res = await call('POST', `/api/journeys/${id}/publish`);
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({
      code: 'invalid_graph',
      details: [{ nodeId: 'ab', path: '/winner/metric' }],
    });
    await call('PATCH', `/api/journeys/${id}`, { settings: { goal: GOAL } });
    expect((await call('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
  });

  test('a winner test period shorter than ten seconds is refused', async () => {
    const graph = splitGraph(
      [
        { key: 'a', weight: 50 },
        { key: 'b', weight: 50 },
      ],
      { metric: 'click', after: 'PT5S' },
    );
    const id = await createJourney(t, { name: 'Short', graph });
    const res = await call('POST', `/api/journeys/${id}/publish`);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toContainEqual(expect.objectContaining({ nodeId: 'ab', path: '/winner/after' }));
  });
});

describe('conversions', () => {
  test('an event within the window converts the run once, whether or not anything was opened', async () => {
    const j = await publish(db(), sleepGraph(), { goal: GOAL });
    const [contact] = await makeContacts(t, 1);
    await startOne(j, contact as string);
    const run = await runOf(j.journeyId, contact as string);
    expect(await conversionOf(run.id)).toBeNull();
    const at = new Date().toISOString();
    const first = await postEvent(t, contact as string, 'purchase', {}, at);
    await postEvent(t, contact as string, 'purchase');
    expect(await conversionOf(run.id)).toEqual({ at, eventId: first.id });
    // The worker may not have reached the wait yet; converting must not end the run either way.
    await eventually(async () => (await runOf(j.journeyId, contact as string)).status === 'waiting');
  });

  test('an event before the run started or after the window converts nothing', async () => {
    const j = await publish(db(), sleepGraph(), { goal: { event: 'purchase', windowSeconds: 60 } });
    const [contact] = await makeContacts(t, 1);
    await startOne(j, contact as string);
    const run = await runOf(j.journeyId, contact as string);
    const started = (await call('GET', `/api/runs/${run.id}`)).json().startedAt as string;
    const at = (ms: number) => new Date(new Date(started).getTime() + ms).toISOString();
    await postEvent(t, contact as string, 'purchase', {}, at(-1000));
    await postEvent(t, contact as string, 'purchase', {}, at(61_000));
    expect(await conversionOf(run.id)).toBeNull();
    await postEvent(t, contact as string, 'purchase', {}, at(60_000));
    expect((await conversionOf(run.id))?.at).toBe(at(60_000));
  });

  test("an event stamped at the run's startedAt, as the API shows it, converts", async () => {
    const j = await publish(db(), sleepGraph(), { goal: { event: 'purchase', windowSeconds: 60 } });
    const [contact] = await makeContacts(t, 1);
    await startOne(j, contact as string);
    const run = await runOf(j.journeyId, contact as string);
    const started = (await call('GET', `/api/runs/${run.id}`)).json().startedAt as string;
    await postEvent(t, contact as string, 'purchase', {}, started);
    expect((await conversionOf(run.id))?.at).toBe(started);
  });

  test("only events matching the goal's filter convert", async () => {
    const goal = { event: 'purchase', windowSeconds: 3600, filter: { attr: 'total', op: 'gte', value: 100 } };
    const j = await publish(db(), sleepGraph(), { goal } as Partial<JourneySettings>);
    const [contact] = await makeContacts(t, 1);
    await startOne(j, contact as string);
    const run = await runOf(j.journeyId, contact as string);
    await postEvent(t, contact as string, 'purchase', { total: 50 });
    expect(await conversionOf(run.id)).toBeNull();
    const big = await postEvent(t, contact as string, 'purchase', { total: 150 });
    expect((await conversionOf(run.id))?.eventId).toBe(big.id);
  });

  test('with exitOnGoal a waiting run ends at once as exited with outcome goal', async () => {
    const j = await publish(db(), sleepGraph(), { goal: { ...GOAL, exitOnGoal: true } } as Partial<JourneySettings>);
    const [contact] = await makeContacts(t, 1);
    await startOne(j, contact as string);
    await eventually(async () => (await runOf(j.journeyId, contact as string)).status === 'waiting');
    await postEvent(t, contact as string, 'purchase');
    expect(await runOf(j.journeyId, contact as string)).toMatchObject({ status: 'exited', outcome: 'goal' });
    const steps = (await call('GET', `/api/runs/${(await runOf(j.journeyId, contact as string)).id}`)).json().steps;
    expect(steps.map((s: { nodeId: string }) => s.nodeId)).not.toContain('next');
  });
});

describe('holdout and engagement', () => {
  let j: { journeyId: string; version: number };
  let contacts: string[];
  beforeAll(async () => {
    const email = (id: string) =>
      n(id, 'email.send', { from: 'shop@example.com', subject: 'Hi', html: '<p>Hi</p>', category: 'transactional' });
    const graph = {
      nodes: [
        n('t', 'tst.trigger'),
        n('ab', 'core.split', {
          variants: [
            { key: 'control', weight: 50 },
            { key: 'a', weight: 50 },
          ],
        }),
        email('mail-control'),
        email('mail-a'),
      ],
      edges: [e('t', 'ab'), e('ab', 'mail-control', 'control'), e('ab', 'mail-a', 'a')],
    };
    j = await publish(db(), graph);
    contacts = await makeContacts(t, 40);
    await runThrough(t, j, contacts);
  });

  test('contacts that took control send no message: stored as suppressed with reason holdout', async () => {
    const taken = await assignments(t, j.journeyId, contacts);
    const control = [...taken.values()].filter((x) => x.variant === 'control').length;
    const { rows } = await sql<{ node_id: string; status: string; reason: string | null; n: number }>`
      select node_id, status, reason, count(*)::int as n from messages where journey_id = ${j.journeyId}
      group by 1, 2, 3 order by 1`.execute(db());
    expect(rows).toEqual([
      { node_id: 'mail-a', status: 'sent', reason: null, n: 40 - control },
      { node_id: 'mail-control', status: 'suppressed', reason: 'holdout', n: control },
    ]);
    const analytics = (await call('GET', `/api/journeys/${j.journeyId}/analytics`)).json();
    expect(analytics.messages['mail-control']).toMatchObject({ sent: 0, suppressed: { holdout: control } });
    expect(analytics.messages['mail-a']).toMatchObject({ sent: 40 - control, suppressed: {} });
    expect(analytics.outputs['mail-control'].suppressed.taken).toBe(control);
  });

  test('a bounce and a failure written onto sent messages count once each, however often written', async () => {
    const { rows } = await sql<{ id: string }>`
      select id from messages where journey_id = ${j.journeyId} and node_id = 'mail-a' order by id limit 2`.execute(
      db(),
    );
    const [bounced, failed] = rows.map((r) => r.id);
    for (let i = 0; i < 2; i++) {
      await sql`update messages set bounce = 'hard' where id = ${bounced}`.execute(db());
      await sql`update messages set status = 'failed' where id = ${failed}`.execute(db());
    }
    const analytics = (await call('GET', `/api/journeys/${j.journeyId}/analytics`)).json();
    expect(analytics.messages['mail-a']).toMatchObject({ bounced: 1, failed: 1 });
  });

  test('a message that fails attempt after attempt is one failed message, and none once it is sent', async () => {
    const { rows } = await sql<{ id: string }>`
      select id from messages where journey_id = ${j.journeyId} and node_id = 'mail-a' order by id offset 2 limit 1`.execute(
      db(),
    );
    const id = rows[0]?.id;
    const failed = async () =>
      (await call('GET', `/api/journeys/${j.journeyId}/analytics`)).json().messages['mail-a'].failed as number;
    const before = await failed();
    // Each attempt decides the message again (queued) and hands it over (failed).
    for (const status of ['failed', 'queued', 'failed', 'queued', 'failed'])
      await sql`update messages set status = ${status} where id = ${id}`.execute(db());
    expect(await failed()).toBe(before + 1);
    for (const status of ['queued', 'sent'])
      await sql`update messages set status = ${status} where id = ${id}`.execute(db());
    expect(await failed()).toBe(before);
  });

  test('a message opened twice counts once, on its node and for the variant under the open metric', async () => {
    const { rows } = await sql<{ id: string; contact_id: string }>`
      select id, contact_id from messages where journey_id = ${j.journeyId} and node_id = 'mail-a' limit 1`.execute(
      db(),
    );
    const message = rows[0] as { id: string; contact_id: string };
    await postEvent(t, message.contact_id, 'email.opened', { messageId: message.id, nodeId: 'mail-a' });
    await postEvent(t, message.contact_id, 'email.opened', { messageId: message.id, nodeId: 'mail-a' });
    await postEvent(t, message.contact_id, 'email.opened', { messageId: 'not-a-message' });
    const analytics = (await call('GET', `/api/journeys/${j.journeyId}/analytics`)).json();
    expect(analytics.messages['mail-a']).toMatchObject({ opened: 1, clicked: 0 });
    const experiment = (await call('GET', `/api/journeys/${j.journeyId}/experiments?metric=open`)).json()
      .experiments[0];
    expect(experiment).toMatchObject({ metric: 'open', baseline: 'control' });
    expect(experiment.variants.find((v: { key: string }) => v.key === 'a').converted).toBe(1);
    const byDefault = (await call('GET', `/api/journeys/${j.journeyId}/experiments`)).json().experiments[0];
    expect(byDefault.metric).toBe('click');
  });
});

describe('test runs', () => {
  test('show the variant the test contact would take, with a standing decision applied', async () => {
    const graph = splitGraph([
      { key: 'a', weight: 50 },
      { key: 'b', weight: 50 },
    ]);
    const id = await createJourney(t, { name: 'Test run split', graph });
    expect((await call('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
    const experimentRows = async () =>
      (
        await sql<{ n: number }>`select (select count(*) from split_units) + (select count(*) from split_decisions)
          + (select count(*) from split_tests) + (select count(*) from journey_rollups where journey_id = ${id}) as n`.execute(
          db(),
        )
      ).rows[0]?.n;
    const testRun = async () => {
      const res = await postTest(t, id, {});
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    const counted = await experimentRows();
    const before = await testRun();
    expect(await experimentRows()).toBe(counted);
    const split = before.steps.find((s: { nodeId: string }) => s.nodeId === 'ab');
    expect(split.output).toMatchObject({ by: 'weights' });
    const chosen = split.output.variant === 'a' ? 'b' : 'a';
    expect((await call('POST', `/api/journeys/${id}/nodes/ab/winner`, { variant: chosen })).statusCode).toBe(200);
    const after = await testRun();
    expect(after.steps.find((s: { nodeId: string }) => s.nodeId === 'ab').output).toEqual({
      variant: chosen,
      by: 'override',
    });
  });
});

describe('publishing', () => {
  test('keeps a standing decision while its variant exists, and clears it when the variant is gone', async () => {
    const id = await createJourney(t, {
      name: 'Republish',
      graph: splitGraph([
        { key: 'a', weight: 50 },
        { key: 'b', weight: 50 },
      ]),
    });
    await call('POST', `/api/journeys/${id}/publish`);
    await call('POST', `/api/journeys/${id}/nodes/ab/winner`, { variant: 'b' });
    await call('POST', `/api/journeys/${id}/publish`);
    const kept = (await call('GET', `/api/journeys/${id}/experiments`)).json().experiments[0];
    expect(kept).toMatchObject({ status: 'override', decision: { variant: 'b' } });
    const without = splitGraph([
      { key: 'a', weight: 50 },
      { key: 'c', weight: 50 },
    ]);
    await call('PUT', `/api/journeys/${id}/draft`, { graph: without });
    expect((await call('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
    const cleared = (await call('GET', `/api/journeys/${id}/experiments`)).json().experiments[0];
    expect(cleared).toMatchObject({ status: 'testing', decision: null });
  });

  test('entries routed to a variant that a later version dropped still count in routed, all time', async () => {
    const id = await createJourney(t, {
      name: 'Routed all time',
      graph: splitGraph([
        { key: 'a', weight: 50 },
        { key: 'b', weight: 50 },
      ]),
    });
    await call('POST', `/api/journeys/${id}/publish`);
    await call('POST', `/api/journeys/${id}/nodes/ab/winner`, { variant: 'b' });
    await runThrough(t, { journeyId: id, version: 1 }, await makeContacts(t, 3));
    expect((await call('GET', `/api/journeys/${id}/experiments`)).json().experiments[0].routed).toBe(3);
    const without = splitGraph([
      { key: 'a', weight: 50 },
      { key: 'c', weight: 50 },
    ]);
    await call('PUT', `/api/journeys/${id}/draft`, { graph: without });
    expect((await call('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
    const republished = (await call('GET', `/api/journeys/${id}/experiments`)).json().experiments[0];
    expect(republished).toMatchObject({ status: 'testing', routed: 3 });
    expect(republished.variants.map((v: { key: string }) => v.key)).toEqual(['a', 'c']);
  });
});

describe('analytics', () => {
  test('list the message figures of a package node that says it sends, zeros included, before any send', async () => {
    const notify = defineNode({
      type: 'acme.notify',
      version: 1,
      kind: 'action',
      sendsMessages: true,
      title: 'Notify',
      description: '',
      category: 'Test',
      params: { type: 'object' },
      outputs: ['out'],
      async run() {
        return { next: 'out' };
      },
    });
    t.runtime.registry.add(definePackage({ name: 'acme-notify', version: '1.0.0', nodes: [notify] }));
    const j = await publish(db(), {
      nodes: [n('t', 'tst.trigger'), n('note', 'acme.notify')],
      edges: [e('t', 'note')],
    });
    const res = await call('GET', `/api/journeys/${j.journeyId}/analytics`);
    expect(res.statusCode).toBe(200);
    expect(res.json().messages.note).toEqual(expect.objectContaining({ sent: 0, opened: 0, suppressed: {} }));
  });
});
