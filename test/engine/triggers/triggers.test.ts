import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { e, eventually, n } from '../support.js';

let t: TestApp;
let worker: WorkerHandle;

beforeAll(async () => {
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

async function contact(email: string, attributes: object): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/contacts',
    headers: t.auth,
    payload: { email, attributes },
  });
  expect([200, 201]).toContain(res.statusCode);
  return res.json().id;
}

/** Merges `gone` into `keep` through the API. */
async function merge(keep: string, gone: string): Promise<void> {
  const merged = await t.app.inject({
    method: 'POST',
    url: `/api/contacts/${keep}/merge`,
    headers: t.auth,
    payload: { from: gone },
  });
  expect(merged.statusCode, merged.body).toBe(200);
}

async function publish(graph: object, settings: object = {}): Promise<string> {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/journeys',
    headers: t.auth,
    payload: { name: 'trigger', graph, settings },
  });
  expect(created.statusCode).toBe(201);
  const id = created.json().id as string;
  const published = await t.app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: t.auth });
  expect(published.statusCode, published.body).toBe(201);
  return id;
}

async function runsOf(journeyId: string): Promise<string[]> {
  const { rows } = await sql<{
    contact_id: string;
  }>`select contact_id from runs where journey_id = ${journeyId} order by started_at`.execute(t.runtime.db);
  return rows.map((r) => r.contact_id);
}

describe('core.segment', () => {
  test('contacts that match enter once, and a contact that starts matching later enters then', async () => {
    const pro = await contact('seg-pro@example.com', { plan: 'seg-pro' });
    await contact('seg-free@example.com', { plan: 'seg-free' });
    const journeyId = await publish({
      nodes: [
        n('seg', 'core.segment', { filter: { attr: 'plan', op: 'eq', value: 'seg-pro' }, every: 'PT1S' }),
        n('done', 'core.exit'),
      ],
      edges: [e('seg', 'done')],
    });
    await eventually(async () => (await runsOf(journeyId)).length === 1);
    expect(await runsOf(journeyId)).toEqual([pro]);

    const later = await contact('seg-later@example.com', { plan: 'seg-pro' });
    await eventually(async () => (await runsOf(journeyId)).length === 2);
    await new Promise((r) => setTimeout(r, 2500)); // two more evaluations: nobody enters again
    expect((await runsOf(journeyId)).sort()).toEqual([pro, later].sort());
  });
});

describe('core.schedule', () => {
  test('each tick enters every contact matching its filter', async () => {
    const a = await contact('sched-a@example.com', { plan: 'sched' });
    const b = await contact('sched-b@example.com', { plan: 'sched' });
    await contact('sched-c@example.com', { plan: 'other' });
    const journeyId = await publish(
      {
        nodes: [
          n('tick', 'core.schedule', {
            cron: '* * * * * *',
            timezone: 'UTC',
            filter: { attr: 'plan', op: 'eq', value: 'sched' },
          }),
          n('done', 'core.exit'),
        ],
        edges: [e('tick', 'done')],
      },
      { reentry: 'once' },
    );
    await eventually(async () => (await runsOf(journeyId)).length === 2);
    expect((await runsOf(journeyId)).sort()).toEqual([a, b].sort());
  });

  test('a tick without a filter enters each live contact once; a merged-away contact is its survivor', async () => {
    const keep = await contact('sched-keep@example.com', {});
    const gone = await contact('sched-gone@example.com', {});
    await merge(keep, gone);
    const journeyId = await publish(
      {
        nodes: [n('tick', 'core.schedule', { cron: '* * * * * *', timezone: 'UTC' }), n('done', 'core.exit')],
        edges: [e('tick', 'done')],
      },
      { reentry: 'always' },
    );
    await eventually(async () => (await runsOf(journeyId)).includes(keep));
    const { rows } = await sql<{ contact_id: string; runs: number }>`
      select contact_id, count(*)::int as runs from runs where journey_id = ${journeyId}
      group by contact_id, trigger ->> 'scheduledAt' having count(*) > 1`.execute(t.runtime.db);
    expect(rows).toEqual([]);
  });
});

/**
 * Waits for the date trigger's first evaluation (which only notes when it was), then makes
 * it seem to have been at `at`: the next one enters the dates that fell due since.
 */
async function lastEvaluatedAt(journeyId: string, at: string): Promise<void> {
  await eventually(
    async () =>
      (
        await sql<{ n: number }>`select count(*)::int as n from trigger_state
          where journey_id = ${journeyId} and last_at is not null`.execute(t.runtime.db)
      ).rows[0]?.n === 1,
  );
  await sql`update trigger_state set last_at = ${at}, next_at = null where journey_id = ${journeyId}`.execute(
    t.runtime.db,
  );
}

describe('core.date', () => {
  test('a merged-away contact whose date falls due enters as its survivor, once', async () => {
    const keep = await contact('date-keep@example.com', { renewal: '2020-03-15' });
    const gone = await contact('date-gone@example.com', { renewal: '2019-03-15' });
    await merge(keep, gone);
    const params = { attribute: 'renewal', at: '09:00' };
    const journeyId = await publish({
      nodes: [n('date', 'core.date', params), n('done', 'core.exit')],
      edges: [e('date', 'done')],
    });
    await lastEvaluatedAt(journeyId, '2026-03-15T08:00:00Z');
    await eventually(async () => (await runsOf(journeyId)).length > 0);
    await new Promise((r) => setTimeout(r, 1500)); // another evaluation: nobody enters again
    expect(await runsOf(journeyId)).toEqual([keep]);
  });

  test('a dotted attribute reads a nested date, as a filter reads a nested attribute', async () => {
    const ann = await contact('date-nested@example.com', { profile: { birthday: '1990-03-15' } });
    const journeyId = await publish({
      nodes: [n('date', 'core.date', { attribute: 'profile.birthday', at: '09:00' }), n('done', 'core.exit')],
      edges: [e('date', 'done')],
    });
    await lastEvaluatedAt(journeyId, '2026-03-15T08:00:00Z');
    await eventually(async () => (await runsOf(journeyId)).length > 0);
    expect(await runsOf(journeyId)).toEqual([ann]);
  });
});
