import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { enforceAllRetention } from '../../../engine/retention/enforce.js';
import { dropPartitionsBefore } from '../../../engine/retention/partitions.js';
import { saveRetention } from '../../../engine/retention/settings.js';
import { e, n, publish } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

const DAY = 24 * 60 * 60_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);
const isoDaysAgo = (days: number) => daysAgo(days).toISOString();
/**
 * A timestamp `days` ago for a column with a default: the table types wrap those twice
 * (`Generated<Timestamp>`), so Kysely's insert type names no value a test could give.
 */
const sqlDaysAgo = (days: number) => sql`${isoDaysAgo(days)}::timestamptz` as never;

function put(body: unknown) {
  return t.app.inject({ method: 'PUT', url: '/api/settings/retention', headers: t.auth, payload: body as object });
}
const get = () => t.app.inject({ method: 'GET', url: '/api/settings/retention', headers: t.auth });

describe('retention settings', () => {
  test('a fresh install keeps everything: {}', async () => {
    const res = await get();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({});
  });

  test('PUT replaces them; null and left-out keys keep that data for ever', async () => {
    const res = await put({ steps: 'P90D', events: 'P1Y2M', messages: null });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ steps: 'P90D', events: 'P1Y2M' });
    expect((await get()).json()).toEqual({ steps: 'P90D', events: 'P1Y2M' });
    expect((await put({ messages: 'P6M' })).json()).toEqual({ messages: 'P6M' });
    expect((await get()).json()).toEqual({ messages: 'P6M' });
  });

  test.each([
    ['a time part', { steps: 'PT12H' }, '/steps'],
    ['a zero duration', { events: 'P0D' }, '/events'],
    ['a number', { messages: 90 }, '/messages'],
    ['an empty duration', { steps: 'P' }, '/steps'],
    ['days and a time', { steps: 'P1DT1H' }, '/steps'],
    ['an unknown key', { runs: 'P1D' }, '/runs'],
  ])('%s → 400 validation_failed naming the key, and nothing changes', async (_what, body, path) => {
    await put({ steps: 'P30D' });
    const res = await put(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
    expect(res.json().error.details.map((d: { path: string }) => d.path)).toEqual([path]);
    expect((await get()).json()).toEqual({ steps: 'P30D' });
  });

  test('a body that is not an object → 400', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/settings/retention',
      headers: { ...t.auth, 'content-type': 'application/json' },
      payload: '["P1D"]',
    });
    expect(res.statusCode).toBe(400);
  });
});

describe('enforcing retention', () => {
  test('deletes only what is older than each setting', async () => {
    const { db } = t.runtime;
    const j = await publish(db, {
      nodes: [n('t', 'core.webhook', { secret: 'x'.repeat(20) }), n('a', 'core.exit')],
      edges: [e('t', 'a')],
    });
    const contact = await db
      .insertInto('contacts')
      .values({ workspace_id: sql<string>`(select id from workspaces where is_default)`, email: 'keep@example.com' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const run = async (status: string, startedDays: number, endedDays: number | null) => {
      const r = await db
        .insertInto('runs')
        .values({
          journey_id: j.journeyId,
          version: j.version,
          contact_id: null,
          trigger: JSON.stringify({}),
          trigger_node_id: 't',
          status: status as 'completed',
          started_at: sqlDaysAgo(startedDays),
          ended_at: endedDays === null ? null : isoDaysAgo(endedDays),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('steps')
        .values([
          { run_id: r.id, journey_id: j.journeyId, version: j.version, node_id: 't', status: 'completed' },
          {
            run_id: r.id,
            journey_id: j.journeyId,
            version: j.version,
            node_id: 'a',
            status: status === 'waiting' ? 'waiting' : 'completed',
          },
        ])
        .execute();
      return r.id;
    };
    const endedLongAgo = await run('completed', 100, 95);
    const failedLongAgo = await run('failed', 100, 40);
    const endedRecently = await run('completed', 100, 10);
    const waitingForMonths = await run('waiting', 100, null);

    for (const days of [40, 10])
      await db
        .insertInto('events')
        .values({ contact_id: contact.id, name: `e${days}`, timestamp: sqlDaysAgo(days) })
        .execute();
    const message = (category: 'marketing' | 'transactional', days: number) => ({
      contact_id: contact.id,
      channel: 'email',
      category,
      to: 'keep@example.com',
      html: '<p>rendered</p>',
      links: JSON.stringify([{ index: 0, key: 'k', url: 'https://example.com' }]),
      status: 'sent' as const,
      subject: `${category} ${days}`,
      created_at: isoDaysAgo(days),
    });
    await db
      .insertInto('messages')
      .values([
        message('transactional', 40),
        message('transactional', 10),
        message('marketing', 40),
        message('marketing', 50),
      ])
      .execute();
    // The frequency cap counts marketing messages of the last 45 days.
    await t.app.inject({
      method: 'PUT',
      url: '/api/settings/contact-rules',
      headers: t.auth,
      payload: { marketing: { maxMessages: 5, period: 'P45D' } },
    });

    expect((await put({ steps: 'P30D', events: 'P30D', messages: 'P30D' })).statusCode).toBe(200);
    const res = await t.app.inject({ method: 'POST', url: '/api/settings/retention/enforce', headers: t.auth });
    expect(res.statusCode).toBe(200);
    const { cutoffs } = res.json();
    for (const key of ['steps', 'events', 'messages']) {
      const at = new Date(cutoffs[key]).getTime();
      expect(Math.abs(at - daysAgo(30).getTime())).toBeLessThan(60_000);
    }

    const stepsOf = async (runId: string) =>
      (await db.selectFrom('steps').select('id').where('run_id', '=', runId).execute()).length;
    expect(await stepsOf(endedLongAgo)).toBe(0);
    expect(await stepsOf(failedLongAgo)).toBe(0);
    expect(await stepsOf(endedRecently)).toBe(2);
    expect(await stepsOf(waitingForMonths)).toBe(2);
    const shown = await t.app.inject({ method: 'GET', url: `/api/runs/${endedLongAgo}`, headers: t.auth });
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({ id: endedLongAgo, status: 'completed', steps: [] });

    const events = await db.selectFrom('events').select('name').where('contact_id', '=', contact.id).execute();
    expect(events.map((ev) => ev.name)).toEqual(['e10']);
    const messages = await db.selectFrom('messages').select('subject').where('contact_id', '=', contact.id).execute();
    expect(messages.map((m) => m.subject).sort()).toEqual(['marketing 40', 'transactional 10']);
  });

  test('kept for ever answers null cutoffs and deletes nothing', async () => {
    await put({});
    const before = await sql<{ n: number }>`select count(*)::int as n from events`.execute(t.runtime.db);
    const res = await t.app.inject({ method: 'POST', url: '/api/settings/retention/enforce', headers: t.auth });
    expect(res.json()).toEqual({ cutoffs: { steps: null, events: null, messages: null } });
    const after = await sql<{ n: number }>`select count(*)::int as n from events`.execute(t.runtime.db);
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });

  test('a retention longer than dates reach (P9999Y, P99999999999999999999D) deletes nothing', async () => {
    expect(
      (await put({ steps: 'P9999Y', events: 'P99999999999999999999D', messages: 'P999999999999M' })).statusCode,
    ).toBe(200);
    const before = await sql<{ n: number }>`select count(*)::int as n from events`.execute(t.runtime.db);
    const res = await t.app.inject({ method: 'POST', url: '/api/settings/retention/enforce', headers: t.auth });
    expect(res.statusCode).toBe(200);
    expect(Object.values(res.json().cutoffs).every((c) => typeof c === 'string')).toBe(true);
    const after = await sql<{ n: number }>`select count(*)::int as n from events`.execute(t.runtime.db);
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
    await put({});
  });

  test('drops whole time partitions that end before the cutoff, and keeps the rest', async () => {
    const { db } = t.runtime;
    await sql`
      create table probe_events (at timestamptz not null) partition by range (at);
      create table probe_events_old partition of probe_events for values from ('2020-01-01') to ('2020-02-01');
      create table probe_events_edge partition of probe_events for values from ('2020-02-01') to ('2020-03-01');
      create table probe_events_new partition of probe_events for values from ('2020-03-01') to ('2099-01-01');
      create table probe_events_rest partition of probe_events default;
    `.execute(db);
    const dropped = await dropPartitionsBefore(db, 'probe_events', new Date('2020-02-15T00:00:00Z'));
    expect(dropped).toEqual(['probe_events_old']);
    const left = await sql<{ name: string }>`
      select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'probe_events'::regclass order by 1
    `.execute(db);
    expect(left.rows.map((r) => r.name)).toEqual(['probe_events_edge', 'probe_events_new', 'probe_events_rest']);
  });

  test('each workspace keeps its data by its own settings; the workers enforce them all', async () => {
    const { db } = t.runtime;
    await put({});
    const other = await db.insertInto('workspaces').values({ name: 'Other' }).returning('id').executeTakeFirstOrThrow();
    const contactIn = async (workspaceId: string | null, email: string) =>
      db
        .insertInto('contacts')
        .values({ workspace_id: workspaceId ?? sql<string>`(select id from workspaces where is_default)`, email })
        .returning('id')
        .executeTakeFirstOrThrow();
    const mine = await contactIn(null, 'mine-old@example.com');
    const theirs = await contactIn(other.id, 'theirs-old@example.com');
    for (const contact of [mine, theirs])
      await db
        .insertInto('events')
        .values({ contact_id: contact.id, name: 'old-one', timestamp: sqlDaysAgo(60) })
        .execute();
    await saveRetention(db, other.id, { events: 'P30D' });

    // The default workspace keeps everything, and its settings do not show the other's.
    expect((await get()).json()).toEqual({});
    expect(await enforceAllRetention(db, { wait: true })).toBeGreaterThanOrEqual(2);
    const left = await db.selectFrom('events').select('contact_id').where('name', '=', 'old-one').execute();
    expect(left.map((r) => r.contact_id)).toEqual([mine.id]);
  });

  test('enforcing from the API touches only the workspace of the request', async () => {
    const { db } = t.runtime;
    const other = await db
      .insertInto('workspaces')
      .values({ name: 'Other 2' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const theirs = await db
      .insertInto('contacts')
      .values({ workspace_id: other.id, email: 'theirs-kept@example.com' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('events')
      .values({ contact_id: theirs.id, name: 'theirs', timestamp: sqlDaysAgo(60) })
      .execute();
    expect((await put({ events: 'P30D' })).statusCode).toBe(200);
    const res = await t.app.inject({ method: 'POST', url: '/api/settings/retention/enforce', headers: t.auth });
    expect(res.statusCode).toBe(200);
    const left = await db.selectFrom('events').select('id').where('name', '=', 'theirs').execute();
    expect(left).toHaveLength(1);
    await put({});
  });
});
