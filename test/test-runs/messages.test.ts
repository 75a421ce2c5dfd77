import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../channels/smtp-sink.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { draft, e, hook, n, path, storeContact, testRun } from './support.js';

let t: TestApp;
let smtp: SmtpSink;
beforeAll(async () => {
  smtp = await startSmtpSink();
  t = await createTestApp({ SMTP_URL: smtp.url, PUBLIC_URL: 'https://mail.waymark.test' });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

async function setRules(rules: object): Promise<void> {
  const res = await t.app.inject({
    method: 'PUT',
    url: '/api/settings/contact-rules',
    headers: t.auth,
    payload: rules,
  });
  expect(res.statusCode).toBe(200);
}
afterEach(() => setRules({}));

const email = (id: string, subject = 'Hi {{ contact.attributes.first }}') =>
  n(id, 'email.send', {
    from: 'News <news@example.com>',
    subject,
    html: '<p>Hello {{ contact.attributes.first }}, <a href="https://shop.example.com/sale">shop</a></p>',
    text: 'Hello {{ contact.attributes.first }}',
    category: 'marketing',
  });
const tag = (id: string) => n(id, 'crm.tag', { action: 'add', tag: id });

/** hook → mail → sent / suppressed tags. */
function mailJourney(): Promise<string> {
  return draft(t, {
    nodes: [hook(), email('mail'), tag('was-sent'), tag('was-suppressed')],
    edges: [e('hook', 'mail'), e('mail', 'was-sent', 'sent'), e('mail', 'was-suppressed', 'suppressed')],
  });
}

describe('messages in a test run', () => {
  test('come back rendered as they would be sent, and none is sent', async () => {
    const id = await mailJourney();
    const result = await testRun(t, id, { contact: { email: 'Ann@Example.com', attributes: { first: 'Ann' } } });
    expect(path(result)).toEqual(['hook', 'mail', 'was-sent']);
    expect(result.messages).toHaveLength(1);
    const [message] = result.messages;
    expect(message).toMatchObject({
      nodeId: 'mail',
      channel: 'email',
      category: 'marketing',
      to: 'ann@example.com',
      from: 'News <news@example.com>',
      subject: 'Hi Ann',
      text: expect.stringContaining('Hello Ann'),
      status: 'sent',
      headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
    expect(message.headers['List-Unsubscribe']).toMatch(/^<https:\/\/mail\.waymark\.test\/unsubscribe\//);
    expect(message.html).toContain('Hello Ann');
    expect(message.html).toMatch(/href="https:\/\/mail\.waymark\.test\/t\/c\/[^"]+">shop</);
    expect(message.html).toMatch(/<img src="https:\/\/mail\.waymark\.test\/t\/o\/[^"]+" width="1"/);
    expect(result.steps[1].output).toEqual({ messageId: message.messageId, status: 'sent' });
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.mails).toHaveLength(0);
  });

  test('carry the contact-rule verdict: an unsubscribed contact’s mail is suppressed and takes that branch', async () => {
    const contactId = await storeContact(t, { email: 'gone@example.com' });
    const consent = await t.app.inject({
      method: 'PUT',
      url: `/api/contacts/${contactId}/consent`,
      headers: t.auth,
      payload: { channel: 'email', status: 'unsubscribed', source: 'test' },
    });
    expect(consent.statusCode).toBe(200);
    const result = await testRun(t, await mailJourney(), { contact: { id: contactId } });
    expect(path(result)).toEqual(['hook', 'mail', 'was-suppressed']);
    expect(result.messages).toMatchObject([{ status: 'suppressed', reason: 'unsubscribed', to: 'gone@example.com' }]);
  });

  test('of a token that took a split’s control variant are suppressed as holdout and take that branch', async () => {
    const id = await draft(t, {
      nodes: [
        hook(),
        n('ab', 'core.split', {
          variants: [
            { key: 'control', weight: 100 },
            { key: 'a', weight: 0 },
          ],
        }),
        email('mail'),
        tag('was-sent'),
        tag('was-suppressed'),
      ],
      edges: [
        e('hook', 'ab'),
        e('ab', 'mail', 'control'),
        e('mail', 'was-sent', 'sent'),
        e('mail', 'was-suppressed', 'suppressed'),
      ],
    });
    const result = await testRun(t, id, { contact: { email: 'held@example.com' } });
    expect(path(result)).toEqual(['hook', 'ab', 'mail', 'was-suppressed']);
    expect(result.messages).toMatchObject([{ status: 'suppressed', reason: 'holdout', to: 'held@example.com' }]);
  });

  test('held by quiet hours go out when they end, and the walk goes on from then', async () => {
    await setRules({ quietHours: { start: '21:00', end: '08:00' } });
    const result = await testRun(t, await mailJourney(), {
      contact: { email: 'night@example.com', timezone: 'Europe/Helsinki' },
      startAt: '2026-01-10T21:30:00.000Z',
    });
    expect(result.steps[1]).toMatchObject({ next: 'sent', resumedAt: '2026-01-11T06:00:00.000Z' });
    expect(result.messages).toMatchObject([
      { status: 'sent', at: '2026-01-11T06:00:00.000Z', delayedUntil: '2026-01-11T06:00:00.000Z' },
    ]);
    expect(result.steps[2]).toMatchObject({ nodeId: 'was-sent', at: '2026-01-11T06:00:00.000Z' });
  });

  test('count toward the frequency cap within the walk, though nothing is counted for real', async () => {
    await setRules({ marketing: { maxMessages: 1, period: 'P7D' } });
    const id = await draft(t, {
      nodes: [hook(), email('first'), email('second')],
      edges: [e('hook', 'first'), e('first', 'second', 'sent')],
    });
    const body = { contact: { email: 'capped@example.com' } };
    const result = await testRun(t, id, body);
    expect(result.messages.map((m: { status: string; reason?: string }) => [m.status, m.reason])).toEqual([
      ['sent', undefined],
      ['suppressed', 'frequency-cap'],
    ]);
    // Nothing was counted: the same walk gives the same verdicts again.
    expect((await testRun(t, id, body)).messages[0].status).toBe('sent');
  });

  test('of a lead notice go to the owner round-robin would pick, and no lead is stored', async () => {
    const owners = ['a@sales.test', 'b@sales.test'];
    const id = await draft(t, {
      nodes: [
        hook(),
        n('lead', 'crm.create-lead', { title: 'Demo for {{ contact.email }}', owners, notify: true }),
        n('again', 'crm.create-lead', { title: 'Second look', owners }),
      ],
      edges: [e('hook', 'lead'), e('lead', 'again')],
    });
    const result = await testRun(t, id, { contact: { email: 'lead@example.com' } });
    expect(result.steps[1].writes).toMatchObject([
      { op: 'createLead', title: 'Demo for lead@example.com', owner: owners[0] },
    ]);
    expect(result.steps[2].writes).toMatchObject([{ op: 'createLead', owner: owners[1] }]);
    expect(result.messages).toMatchObject([
      { to: owners[0], category: 'transactional', subject: 'New lead: Demo for lead@example.com', status: 'sent' },
    ]);
  });
});
