import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { up as releaseLeftMessages } from '../../migrations/0061_unsent_messages_end_with_their_run.js';
import { e, eventually, n, runEnds } from '../engine/support.js';
import type { TestApp } from '../support/runtime.js';
import {
  IN_QUIET_HOURS,
  type QuietHoursApp,
  SECRET,
  startQuietHoursApp,
  stopQuietHoursApp,
} from './quiet-hours-app.js';
import type { SmtpSink } from './smtp-sink.js';

// A marketing message due in quiet hours waits for their end (API.md "Contact rules"). Once
// its run has ended it must never go, nor stay `delayed` for ever: it fails, saying why, as a
// message held for a send rate does (contracts/sending.md "Send rates and the backlog").

const QUIET_HOURS_END = new Date('2030-01-11T06:00:00Z'); // 08:00 in Helsinki
const NOT_SENT = 'not sent: its run ended while it waited for quiet hours to end';
const clock = { now: IN_QUIET_HOURS };
let app: Partial<QuietHoursApp> = {};
let t: TestApp;
let smtp: SmtpSink;

beforeAll(async () => {
  ({ t, smtp } = app = await startQuietHoursApp(clock));
});
afterAll(() => stopQuietHoursApp(app));

function api(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) {
  return t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });
}

/** Moves the clock to `to` and runs the step jobs due by then; resolves once every one has run. */
async function travel(to: Date) {
  clock.now = to;
  await sql`select graphile_worker.reschedule_jobs(array(
      select id from graphile_worker.jobs where task_identifier = 'waymark.step' and run_at <= ${to}), run_at => now())`.execute(
    t.runtime.db,
  );
  await eventually(async () => {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from graphile_worker.jobs
      where task_identifier = 'waymark.step' and run_at <= ${to}`.execute(t.runtime.db);
    return rows[0]?.n === 0;
  });
}

const mail = n('mail', 'email.send', {
  from: 'News <news@example.com>',
  subject: 'Good morning',
  html: '<p>Morning news</p>',
  category: 'marketing',
});

/** webhook → marketing email → exit, unless given another graph. */
const mailJourney = {
  nodes: [n('hook', 'core.webhook', { secret: SECRET }), mail, n('done', 'core.exit', { goal: 'mailed' })],
  edges: [e('hook', 'mail'), e('mail', 'done', 'sent')],
};

/**
 * Publishes the journey, starts its run for a new Helsinki contact at 23:30 there, and waits
 * until its email is delayed by quiet hours and the run waits for their end.
 */
async function runWaitingForQuietHours(journey: { graph?: object; settings?: object } = {}) {
  clock.now = IN_QUIET_HOURS;
  const created = await api('POST', '/api/journeys', { name: 'Morning news', graph: mailJourney, ...journey });
  const journeyId = created.json().id;
  expect((await api('POST', `/api/journeys/${journeyId}/publish`)).statusCode).toBe(201);
  const email = `${randomUUID()}@example.com`;
  const contactId = (await api('POST', '/api/contacts', { email, timezone: 'Europe/Helsinki' })).json().id;
  const res = await t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
    payload: { email },
  });
  expect(res.statusCode).toBe(202);
  const runId: string = res.json().runId;
  const { run } = await runEnds(t.runtime.db, runId, ['waiting']);
  expect(run.status).toBe('waiting');
  expect(await messagesOf(runId)).toMatchObject([{ status: 'delayed', reason: 'quiet-hours' }]);
  return { journeyId, contactId, runId };
}

type Message = { status: string; reason?: string; error?: string };
const messagesOf = async (runId: string): Promise<Message[]> =>
  (await api('GET', `/api/messages?runId=${runId}`)).json().messages;

const runOf = async (runId: string) => (await api('GET', `/api/runs/${runId}`)).json();

/** The run's one message, as the messages list shows it: failed, saying it was not sent and why. */
async function expectNotSent(runId: string) {
  const [message, ...others] = await messagesOf(runId);
  expect(others).toEqual([]);
  expect(message).toMatchObject({ status: 'failed', error: NOT_SENT });
  expect(message?.reason).toBeUndefined();
}

describe('a message delayed by quiet hours whose run ends', () => {
  test('fails when its run is cancelled, and is not sent when quiet hours end', async () => {
    const { runId } = await runWaitingForQuietHours();
    const before = smtp.mails.length;

    expect((await api('POST', `/api/runs/${runId}/cancel`)).statusCode).toBe(200);
    await expectNotSent(runId);

    await travel(QUIET_HOURS_END);
    await expectNotSent(runId);
    expect(smtp.mails.length).toBe(before);
    expect((await runOf(runId)).status).toBe('exited');
  });

  test('fails when its journey is archived', async () => {
    const { journeyId, runId } = await runWaitingForQuietHours();
    const before = smtp.mails.length;

    expect((await api('DELETE', `/api/journeys/${journeyId}`)).statusCode).toBe(204);
    await expectNotSent(runId);
    expect((await runOf(runId)).status).toBe('exited');

    await travel(QUIET_HOURS_END);
    await expectNotSent(runId);
    expect(smtp.mails.length).toBe(before);
  });

  test('fails when an exitOn event ends its run', async () => {
    const { contactId, runId } = await runWaitingForQuietHours({ settings: { exitOn: ['left-the-club'] } });
    const before = smtp.mails.length;

    expect((await api('POST', '/api/events', { contactId, name: 'left-the-club' })).statusCode).toBe(202);
    await expectNotSent(runId);
    expect((await runOf(runId)).status).toBe('exited');

    await travel(QUIET_HOURS_END);
    await expectNotSent(runId);
    expect(smtp.mails.length).toBe(before);
  });

  test('fails when another branch of its run reaches an exit', async () => {
    // webhook → email, and webhook → one hour's wait → exit: the exit comes at 00:30 in Helsinki.
    const graph = {
      nodes: [
        ...mailJourney.nodes,
        n('hour', 'core.wait', { duration: 'PT1H' }),
        n('gone', 'core.exit', { goal: 'timed-out' }),
      ],
      edges: [...mailJourney.edges, e('hook', 'hour'), e('hour', 'gone')],
    };
    const { runId } = await runWaitingForQuietHours({ graph });
    const before = smtp.mails.length;

    await travel(new Date('2030-01-10T22:30:00Z'));
    expect((await runEnds(t.runtime.db, runId)).run).toMatchObject({ status: 'completed', outcome: 'timed-out' });
    await expectNotSent(runId);

    await travel(QUIET_HOURS_END);
    await expectNotSent(runId);
    expect(smtp.mails.length).toBe(before);
  });

  test('is erased with its contact and never sent', async () => {
    const { contactId, runId } = await runWaitingForQuietHours();
    const before = smtp.mails.length;

    expect((await api('DELETE', `/api/contacts/${contactId}`)).statusCode).toBe(204);
    expect(await messagesOf(runId)).toEqual([]);

    await travel(QUIET_HOURS_END);
    expect(await messagesOf(runId)).toEqual([]);
    expect(smtp.mails.length).toBe(before);
  });

  test('is not sent when its run is cancelled as quiet hours end and the step wakes to send it', async () => {
    const { contactId, runId } = await runWaitingForQuietHours();
    const before = smtp.mails.length;
    // The test holds the contact's lock, as another send to the contact would: the woken step,
    // having read its message and found quiet hours over, waits there to decide and send it.
    await whileLocked(contactId, async () => {
      await wake();
      await expect.poll(sendsWaiting).toBe(1);
      expect((await api('POST', `/api/runs/${runId}/cancel`)).statusCode).toBe(200);
    });
    await travel(QUIET_HOURS_END);

    expect(smtp.mails.length).toBe(before);
    await expectNotSent(runId);
    expect((await runOf(runId)).status).toBe('exited');
  });

  test('is not sent when its run is cancelled as it waits for its turn under a send rate after quiet hours', async () => {
    const { journeyId, runId } = await runWaitingForQuietHours({
      settings: { sendRate: { count: 10, perSeconds: 1 } },
    });
    const before = smtp.mails.length;
    // The test holds the journey's send rate, as another sender taking its turn would: the
    // woken step has decided the message (queued now) and waits there to hand it over.
    await whileLocked(`send-rate:journey:${journeyId}`, async () => {
      await wake();
      await expect.poll(sendsWaiting).toBe(1);
      expect(await messagesOf(runId)).toMatchObject([{ status: 'queued' }]);
      expect((await api('POST', `/api/runs/${runId}/cancel`)).statusCode).toBe(200);
    });
    await travel(QUIET_HOURS_END);

    expect(smtp.mails.length).toBe(before);
    expect(await messagesOf(runId)).toMatchObject([
      { status: 'failed', error: 'not sent: its run ended before it was handed over' },
    ]);
    expect((await runOf(runId)).status).toBe('exited');
  });
});

describe('a run cancelled as its step hands over the message at the end of quiet hours', () => {
  test('ends once the message is sent, and the message stays sent', async () => {
    // A day's wait after the send: the run has not reached its exit when the cancel takes it
    // (a run that completes in the sending step answers 409, server/README.md).
    const graph = {
      nodes: [...mailJourney.nodes, n('day', 'core.wait', { duration: 'P1D' })],
      edges: [e('hook', 'mail'), e('mail', 'day', 'sent'), e('day', 'done')],
    };
    const { runId } = await runWaitingForQuietHours({ graph });
    const before = smtp.mails.length;
    const held = smtp.hold();
    await wake();
    await held.arrival; // the mail server has the whole message and has not answered yet
    let cancelled = false;
    const cancelling = api('POST', `/api/runs/${runId}/cancel`).then((res) => {
      cancelled = true;
      return res;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(cancelled).toBe(false);

    held.release();
    expect((await cancelling).statusCode).toBe(200);
    expect(smtp.mails.length).toBe(before + 1);
    expect(await messagesOf(runId)).toMatchObject([{ status: 'sent' }]);
    expect((await runOf(runId)).status).toBe('exited');
  });
});

describe('a run cancelled while its first send waits for the contact', () => {
  test('sends and stores nothing', async () => {
    clock.now = new Date('2030-01-10T10:00:00Z'); // noon in Helsinki: no quiet hours
    const journeyId = (await api('POST', '/api/journeys', { name: 'Noon news', graph: mailJourney })).json().id;
    expect((await api('POST', `/api/journeys/${journeyId}/publish`)).statusCode).toBe(201);
    const email = `${randomUUID()}@example.com`;
    const contactId = (await api('POST', '/api/contacts', { email, timezone: 'Europe/Helsinki' })).json().id;
    const before = smtp.mails.length;
    let runId = '';
    await whileLocked(contactId, async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: `/hooks/${journeyId}/hook`,
        headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
        payload: { email },
      });
      runId = res.json().runId;
      await expect.poll(sendsWaiting).toBe(1);
      expect((await api('POST', `/api/runs/${runId}/cancel`)).statusCode).toBe(200);
    });
    await travel(clock.now);

    expect(smtp.mails.length).toBe(before);
    expect(await messagesOf(runId)).toEqual([]);
    expect((await runOf(runId)).status).toBe('exited');
  });
});

describe('quiet hours changed as the run of a delayed message ends', () => {
  test('waits for the run to end, then stores the rules (no deadlock, no 500)', async () => {
    const { runId } = await runWaitingForQuietHours();
    // An ending run's transaction (waymark_end_runs), held between its locks: it has the run and
    // its waiting step, and fails the run's message next.
    const ending = await t.runtime.pool.connect();
    try {
      await ending.query('begin');
      await ending.query('select 1 from runs where id = $1 for update', [runId]);
      await ending.query(`select 1 from steps where run_id = $1 and status = 'waiting' for update`, [runId]);
      const changing = api('PUT', '/api/settings/contact-rules', { quietHours: { start: '22:00', end: '07:00' } });
      await expect.poll(lockWaits, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
      await ending.query(`update messages set status = 'failed', error = 'its run ended' where run_id = $1`, [runId]);
      await ending.query('commit');
      expect((await changing).statusCode).toBe(200);
    } finally {
      ending.release();
    }
    const restored = await api('PUT', '/api/settings/contact-rules', { quietHours: { start: '21:00', end: '08:00' } });
    expect(restored.statusCode).toBe(200);
    expect((await api('POST', `/api/runs/${runId}/cancel`)).statusCode).toBe(200);
  });
});

describe('upgrading', () => {
  test('fails the messages left delayed by runs that had ended, and only those', async () => {
    const ended = await runWaitingForQuietHours();
    const live = await runWaitingForQuietHours();
    // Ended as before the fix: the run and its steps, the message left as it was.
    await sql`update runs set status = 'exited', ended_at = now() where id = ${ended.runId}`.execute(t.runtime.db);
    await sql`update steps set status = 'cancelled' where run_id = ${ended.runId} and status = 'waiting'`.execute(
      t.runtime.db,
    );

    await releaseLeftMessages(t.runtime.db as unknown as Kysely<unknown>);
    await expectNotSent(ended.runId);
    expect(await messagesOf(live.runId)).toMatchObject([{ status: 'delayed', reason: 'quiet-hours' }]);
    // Its mail would otherwise go out when a later test moves the clock past quiet hours.
    expect((await api('POST', `/api/runs/${live.runId}/cancel`)).statusCode).toBe(200);
  });
});

/** Holds the advisory lock `key` (as another sender's transaction would) while `during` runs. */
async function whileLocked(key: string, during: () => Promise<void>) {
  const holder = await t.runtime.pool.connect();
  try {
    await holder.query('begin');
    await holder.query('select pg_advisory_xact_lock(hashtext($1))', [key]);
    await during();
  } finally {
    await holder.query('commit');
    holder.release();
  }
}

/** Moves the clock to the end of quiet hours and runs the waiting step's job now, not waiting for it. */
async function wake() {
  clock.now = QUIET_HOURS_END;
  await sql`select graphile_worker.reschedule_jobs(array(
      select id from graphile_worker.jobs where task_identifier = 'waymark.step'), run_at => now())`.execute(
    t.runtime.db,
  );
}

/** How many transactions of this database wait for an advisory lock. */
async function sendsWaiting() {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database
    where d.datname = current_database() and l.locktype = 'advisory' and not l.granted`.execute(t.runtime.db);
  return rows[0]?.n;
}

/** How many statements of this database wait for a lock another transaction holds. */
async function lockWaits() {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock'`.execute(t.runtime.db);
  return rows[0]?.n;
}
