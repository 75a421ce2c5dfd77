import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../../channels/smtp-sink.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// The runtime's clock: the system's, unless a test sets `clock.fixed`.
const clock: { fixed: Date | null } = { fixed: null };

let t: TestApp;
let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
  t = await createTestApp(
    { PUBLIC_URL: 'https://forms.example.com', SMTP_URL: sink.url },
    { clock: { now: () => clock.fixed ?? new Date() } },
  );
  await t.app.inject({
    method: 'PUT',
    url: '/api/forms/news',
    headers: t.auth,
    payload: {
      name: 'News',
      fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
      consentText: 'Send me news',
      doubleOptIn: true,
      confirmationFrom: 'news@example.com',
    },
  });
});
afterAll(async () => {
  await t.close();
  await sink.close();
});

const contactOf = async (email: string) => {
  const segment = encodeURIComponent(JSON.stringify({ attr: 'email', op: 'eq', value: email }));
  const res = await t.app.inject({ url: `/api/contacts?segment=${segment}`, headers: t.auth });
  return res.json().contacts[0];
};
const consentOf = async (email: string) => (await contactOf(email))?.consent.email.status;
const linkIn = (mail: { text?: unknown } | undefined) =>
  /https:\/\/forms\.example\.com(\/f\/confirm\/[^\s"'\]]+)/.exec(String(mail?.text))?.[1] ?? '';

describe('a link scanner checking the confirmation link', () => {
  test('HEAD /f/confirm/<token> confirms nothing: 405, and the contact stays pending until the GET', async () => {
    await t.app.inject({ method: 'POST', url: '/f/news', payload: { email: 'scan@example.com', _consent: true } });
    const [mail] = await sink.waitFor(1);
    const link = linkIn(mail);
    const head = await t.app.inject({ method: 'HEAD', url: link });
    expect(head.statusCode).toBe(405);
    expect(head.headers.allow).toBe('GET');
    expect(await consentOf('scan@example.com')).toBe('pending');
    expect((await t.app.inject({ url: link })).statusCode).toBe(200);
    expect(await consentOf('scan@example.com')).toBe('subscribed');
  });
});

describe('a confirmation link is valid 7 days', () => {
  const signUp = async (email: string, daysAgo: number) => {
    const before = sink.mails.length;
    await t.app.inject({ method: 'POST', url: '/f/news', payload: { email, _consent: true } });
    const mail = (await sink.waitFor(before + 1))[before];
    // The link was mailed `daysAgo` days ago.
    await t.runtime.db
      .updateTable('form_confirmations')
      .set({ created_at: sql`now() - make_interval(days => ${daysAgo})` })
      .where('email', '=', email)
      .execute();
    return linkIn(mail);
  };

  test('a link clicked on its sixth day confirms', async () => {
    const link = await signUp('day6@example.com', 6);
    expect((await t.app.inject({ url: link })).statusCode).toBe(200);
    expect(await consentOf('day6@example.com')).toBe('subscribed');
  });

  test('an expired link answers the 404 page and the contact stays pending', async () => {
    const link = await signUp('day8@example.com', 8);
    const res = await t.app.inject({ url: link });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('text/html');
    expect(await consentOf('day8@example.com')).toBe('pending');
  });
});

// The 7 days were counted on the system clock, not on the runtime's: a test clock, or a
// process whose clock is set, saw links live or dead by the machine's time. The submission
// and the click are stamped by the same clock.
describe('a confirmation link’s 7 days run on the runtime’s clock', () => {
  const DAY_MS = 24 * 3600 * 1000;
  const start = new Date('2026-11-02T09:00:00.000Z');
  afterEach(() => {
    clock.fixed = null;
  });

  /** Signs `email` up when the runtime's clock reads `start`; the confirmation link's path. */
  const signUpAtStart = async (email: string) => {
    clock.fixed = start;
    const before = sink.mails.length;
    await t.app.inject({ method: 'POST', url: '/f/news', payload: { email, _consent: true } });
    return linkIn((await sink.waitFor(before + 1))[before]);
  };
  /** Clicks `link` `ms` after `start` by the runtime's clock. */
  const clickAfter = (link: string, ms: number) => {
    clock.fixed = new Date(start.getTime() + ms);
    return t.app.inject({ url: link });
  };

  test('clicked 7 days after the sign-up by that clock, it confirms: 200 and subscribed', async () => {
    const link = await signUpAtStart('in-time@example.com');
    expect((await clickAfter(link, 7 * DAY_MS)).statusCode).toBe(200);
    expect(await consentOf('in-time@example.com')).toBe('subscribed');
  });

  test('clicked a second past 7 days by that clock, it answers the 404 page and the contact stays pending', async () => {
    const link = await signUpAtStart('too-late@example.com');
    const res = await clickAfter(link, 7 * DAY_MS + 1000);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('text/html');
    expect(await consentOf('too-late@example.com')).toBe('pending');
  });

  test('the proof’s submittedAt and confirmedAt are the runtime clock’s times', async () => {
    const link = await signUpAtStart('stamped@example.com');
    expect((await clickAfter(link, 2 * DAY_MS)).statusCode).toBe(200);
    expect((await contactOf('stamped@example.com')).consent.email.proof).toMatchObject({
      submittedAt: start.toISOString(),
      confirmedAt: new Date(start.getTime() + 2 * DAY_MS).toISOString(),
    });
  });
});
