import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMessagesService } from '../../engine/messages/service.js';
import { smtpDeliver } from '../../nodes/email/src/smtp-deliver.js';
import { closeSmtpPools } from '../../nodes/email/src/smtp-pools.js';
import { insertContact, stepScope } from '../channels/scope.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { type RawSmtpServer, startRawSmtpServer } from './smtp-server.js';

// Someone debugging deliverability reads, in the message detail (the outbox), every header the
// message went out with, in order: `sentHeaders`, next to the contract's `headers`.

let outbox: TestApp;
let relayed: TestApp;
let smtp: RawSmtpServer;

beforeAll(async () => {
  smtp = await startRawSmtpServer();
  outbox = await createTestApp({ PUBLIC_URL: 'https://waymark.example.com' });
  relayed = await createTestApp({ SMTP_URL: smtp.url, PUBLIC_URL: 'https://waymark.example.com' });
  const dkim = { name: 'dkim', type: 'email.dkim', data: { domain: 'example.com' } };
  const res = await relayed.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: relayed.auth,
    payload: dkim,
  });
  expect(res.statusCode).toBe(201);
});
afterAll(async () => {
  await outbox?.close();
  await relayed?.close();
  closeSmtpPools();
  await smtp?.close();
});

/** Sends a marketing email with a custom header; the message detail as GET /api/messages/:id shows it. */
async function sendAndShow(t: TestApp, extra: { deliver?: ReturnType<typeof smtpDeliver> } = {}) {
  const contactId = await insertContact(t.runtime, { email: `c${Math.random()}@example.org` });
  const { messageId, status } = await createMessagesService(await stepScope(t.runtime, { contactId })).send({
    channel: 'email',
    category: 'marketing',
    from: 'News <news@example.com>',
    replyTo: 'help@example.com',
    subject: 'Spring sale',
    html: '<p>Hi</p>',
    text: 'Hi',
    headers: { 'X-Campaign': 'spring-2030' },
    ...extra,
  });
  expect(status).toBe('sent');
  const res = await t.app.inject({ method: 'GET', url: `/api/messages/${messageId}`, headers: t.auth });
  expect(res.statusCode).toBe(200);
  return res.json();
}

/** The header section of a mail as the SMTP server received it, each line unfolded. */
async function receivedHeaders(raw: Buffer) {
  return (await simpleParser(raw)).headerLines.map(({ line }) => {
    const unfolded = line.replace(/\r?\n/g, '');
    const colon = unfolded.indexOf(':');
    return { name: unfolded.slice(0, colon), value: unfolded.slice(colon + 1).trimStart() };
  });
}

const names = (headers: { name: string }[]) => headers.map((h) => h.name);

describe('the headers a message was sent with', () => {
  test('the outbox shows every header the message would be sent with, in order', async () => {
    const message = await sendAndShow(outbox);
    expect(names(message.sentHeaders)).toEqual([
      'X-Campaign',
      'List-Unsubscribe',
      'List-Unsubscribe-Post',
      'From',
      'To',
      'Reply-To',
      'Subject',
      'Message-ID',
      'Date',
      'MIME-Version',
      'Content-Type',
    ]);
    const value = (name: string) => message.sentHeaders.find((h: { name: string }) => h.name === name)?.value;
    expect(value('Message-ID')).toBe(`<${message.id}@waymark.example.com>`);
    expect(value('X-Campaign')).toBe('spring-2030');
    expect(value('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(value('MIME-Version')).toBe('1.0');
    // The contract's `headers` stay as they were: the ones Waymark adds.
    expect(message.headers['List-Unsubscribe']).toBe(value('List-Unsubscribe'));
  });

  test('mail relayed through SMTP_URL lists exactly the headers the server received, DKIM-Signature first', async () => {
    const before = smtp.raws.length;
    const message = await sendAndShow(relayed);
    const raw = (await smtp.waitFor(before + 1))[before] as Buffer;
    expect(message.sentHeaders).toEqual(await receivedHeaders(raw));
    expect(message.sentHeaders[0].name).toBe('DKIM-Signature');
  });

  test('mail through an email.smtp credential lists the headers the server received', async () => {
    const before = smtp.raws.length;
    const deliver = smtpDeliver({ host: smtp.host, port: smtp.port, requireTLS: false });
    const message = await sendAndShow(relayed, { deliver });
    const raw = (await smtp.waitFor(before + 1))[before] as Buffer;
    expect(message.sentHeaders).toEqual(await receivedHeaders(raw));
  });
});
