import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
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

const clock = { now: IN_QUIET_HOURS };
let app: Partial<QuietHoursApp> = {};
let t: TestApp;
let smtp: SmtpSink;

beforeAll(async () => {
  ({ t, smtp } = app = await startQuietHoursApp(clock));
});
afterAll(() => stopQuietHoursApp(app));

function api(method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) {
  return t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });
}

/** Moves the clock to `to` and runs the step jobs due by then (`early`: every waiting one, whatever its time). */
async function travel(to: Date, options: { early?: boolean } = {}) {
  clock.now = to;
  await sql`select graphile_worker.reschedule_jobs(array(
      select id from graphile_worker.jobs
      where task_identifier = 'waymark.step' and (${options.early ?? false} or run_at <= ${to})), run_at => now())`.execute(
    t.runtime.db,
  );
}

/** A live journey: webhook → marketing email → tag → exit, and a Helsinki contact; the started run's id. */
async function startRun(): Promise<{ runId: string; contactId: string; email: string }> {
  const graph = {
    nodes: [
      n('hook', 'core.webhook', { secret: SECRET }),
      n('mail', 'email.send', {
        from: 'News <news@example.com>',
        subject: 'Good morning',
        html: '<p>Morning news</p>',
        category: 'marketing',
      }),
      n('tag', 'crm.tag', { action: 'add', tag: 'mailed' }),
      n('done', 'core.exit', { goal: 'mailed' }),
    ],
    edges: [e('hook', 'mail'), e('mail', 'tag', 'sent'), e('tag', 'done')],
  };
  const journeyId = (await api('POST', '/api/journeys', { name: 'Morning news', graph })).json().id;
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
  return { runId: res.json().runId, contactId, email };
}

const messagesOf = async (runId: string) => (await api('GET', `/api/messages?runId=${runId}`)).json().messages;

async function delayedAndWaiting(runId: string) {
  const { run, steps } = await runEnds(t.runtime.db, runId, ['waiting']);
  expect(run.status).toBe('waiting');
  expect(steps.find((s) => s.node_id === 'mail')?.status).toBe('waiting');
  const [message] = await messagesOf(runId);
  expect(message).toMatchObject({ status: 'delayed', reason: 'quiet-hours' });
  return message;
}

describe('quiet hours in a running journey', () => {
  test('a marketing email due in quiet hours waits, is delivered when they end, and the run goes on', async () => {
    clock.now = IN_QUIET_HOURS;
    const { runId, contactId, email } = await startRun();
    await delayedAndWaiting(runId);
    const before = smtp.mails.length;

    await travel(new Date('2030-01-11T06:00:00Z')); // 08:00 in Helsinki
    await eventually(async () => smtp.mails.length > before);
    const mail = smtp.mails.at(-1);
    expect(mail?.to).toMatchObject({ text: email });
    expect(mail?.subject).toBe('Good morning');
    expect(mail?.html).toContain('Morning news');

    const { run, steps } = await runEnds(t.runtime.db, runId);
    expect(run).toMatchObject({ status: 'completed', outcome: 'mailed' });
    expect(steps.map((s) => s.node_id)).toEqual(['hook', 'mail', 'tag', 'done']);
    const [message] = await messagesOf(runId);
    // Created when the journey first sent it; sent when quiet hours ended.
    expect(message).toMatchObject({
      status: 'sent',
      createdAt: '2030-01-10T21:30:00.000Z',
      sentAt: '2030-01-11T06:00:00.000Z',
    });
    expect(message.reason).toBeUndefined();
    const contact = (await api('GET', `/api/contacts/${contactId}`)).json();
    expect(contact.tags.map((tag: { tag: string }) => tag.tag)).toEqual(['mailed']);
  });

  test('a run woken before quiet hours end sends nothing and keeps waiting', async () => {
    clock.now = IN_QUIET_HOURS;
    const { runId } = await startRun();
    const first = await delayedAndWaiting(runId);
    const before = smtp.mails.length;

    await travel(new Date('2030-01-11T05:59:00Z'), { early: true }); // 07:59 in Helsinki
    // Woken, the step asks to wait again: its job is queued for the end of quiet hours once more.
    await eventually(async () => {
      const { rows } = await sql<{ run_at: Date }>`
        select run_at from graphile_worker.jobs where task_identifier = 'waymark.step'`.execute(t.runtime.db);
      return rows.length === 1 && rows[0]?.run_at.toISOString() === '2030-01-11T06:00:00.000Z';
    });
    expect(await delayedAndWaiting(runId)).toMatchObject({ id: first.id, status: 'delayed' });
    expect(smtp.mails.length).toBe(before);

    await travel(new Date('2030-01-11T06:00:00Z'));
    expect((await runEnds(t.runtime.db, runId)).run.status).toBe('completed');
    expect(smtp.mails.length).toBe(before + 1);
  });
});

describe('quiet hours changed while a message waits for their end', () => {
  afterEach(async () => {
    await api('PUT', '/api/settings/contact-rules', { quietHours: { start: '21:00', end: '08:00' } });
  });

  /** Runs the step jobs due at `at` and waits until the run has sent its email; the message as listed. */
  async function sentAt(runId: string, at: Date) {
    await travel(at);
    expect((await runEnds(t.runtime.db, runId)).run.status).toBe('completed');
    const [message] = await messagesOf(runId);
    return message;
  }

  test('quiet hours removed: the message goes out at once', async () => {
    clock.now = IN_QUIET_HOURS;
    const { runId } = await startRun();
    await delayedAndWaiting(runId);

    clock.now = new Date('2030-01-10T23:00:00Z'); // 01:00 in Helsinki
    expect((await api('PUT', '/api/settings/contact-rules', {})).statusCode).toBe(200);
    expect(await sentAt(runId, clock.now)).toMatchObject({ status: 'sent', sentAt: '2030-01-10T23:00:00.000Z' });
  });

  test('quiet hours shortened: the message goes out at their new, earlier end', async () => {
    clock.now = IN_QUIET_HOURS;
    const { runId } = await startRun();
    await delayedAndWaiting(runId);

    const shortened = { quietHours: { start: '21:00', end: '07:00' } };
    expect((await api('PUT', '/api/settings/contact-rules', shortened)).statusCode).toBe(200);
    // 07:00 in Helsinki, an hour before the end the message was delayed to.
    expect(await sentAt(runId, new Date('2030-01-11T05:00:00Z'))).toMatchObject({
      status: 'sent',
      sentAt: '2030-01-11T05:00:00.000Z',
    });
  });

  test('quiet hours lengthened: nothing goes out at their old end, the message goes at the new one', async () => {
    clock.now = IN_QUIET_HOURS;
    const { runId } = await startRun();
    await delayedAndWaiting(runId);
    const before = smtp.mails.length;

    const lengthened = { quietHours: { start: '21:00', end: '10:00' } };
    expect((await api('PUT', '/api/settings/contact-rules', lengthened)).statusCode).toBe(200);
    await travel(new Date('2030-01-11T06:00:00Z')); // 08:00 in Helsinki, the old end
    await eventually(async () => {
      const { rows } = await sql<{ run_at: Date }>`
        select run_at from graphile_worker.jobs where task_identifier = 'waymark.step' and run_at > now()`.execute(
        t.runtime.db,
      );
      return rows.some((r) => r.run_at.toISOString() === '2030-01-11T08:00:00.000Z');
    });
    expect(await delayedAndWaiting(runId)).toMatchObject({ status: 'delayed', reason: 'quiet-hours' });
    expect(smtp.mails.length).toBe(before);

    // 10:00 in Helsinki, the new end.
    expect(await sentAt(runId, new Date('2030-01-11T08:00:00Z'))).toMatchObject({
      status: 'sent',
      sentAt: '2030-01-11T08:00:00.000Z',
    });
  });
});
