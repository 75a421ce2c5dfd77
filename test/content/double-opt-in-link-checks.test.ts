import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../channels/smtp-sink.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

let t: TestApp;
let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
  t = await createTestApp({ PUBLIC_URL: 'https://forms.example.com', SMTP_URL: sink.url });
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

const consentOf = async (email: string) => {
  const segment = encodeURIComponent(JSON.stringify({ attr: 'email', op: 'eq', value: email }));
  const res = await t.app.inject({ url: `/api/contacts?segment=${segment}`, headers: t.auth });
  return res.json().contacts[0]?.consent.email.status;
};

describe('a link scanner checking the confirmation link', () => {
  test('HEAD /f/confirm/<token> confirms nothing: 405, and the contact stays pending until the GET', async () => {
    await t.app.inject({ method: 'POST', url: '/f/news', payload: { email: 'scan@example.com', _consent: true } });
    const [mail] = await sink.waitFor(1);
    const link = /https:\/\/forms\.example\.com(\/f\/confirm\/[^\s"'\]]+)/.exec(String(mail?.text))?.[1] ?? '';
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
    return /https:\/\/forms\.example\.com(\/f\/confirm\/[^\s"'\]]+)/.exec(String(mail?.text))?.[1] ?? '';
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
