import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMessagesService } from '../../engine/messages/service.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { insertContact, stepScope } from './scope.js';
import { type SmtpSink, startSmtpSink } from './smtp-sink.js';

let smtp: SmtpSink;

/** A header's value as sent (mailparser turns List-* headers into objects). */
const rawHeader = (mail: ParsedMail | undefined, name: string) =>
  mail?.headerLines.find((h) => h.key === name)?.line.replace(/^[^:]+:\s*/, '') ?? '';
let t: TestRuntime;

beforeAll(async () => {
  smtp = await startSmtpSink();
  t = await createTestRuntime({ SMTP_URL: smtp.url, PUBLIC_URL: 'https://waymark.example.com' });
});
afterAll(async () => {
  await t.close();
  await smtp.close();
});

const email = {
  channel: 'email',
  from: 'News <news@example.com>',
  subject: 'Spring sale',
  html: '<html><body><p>Hi</p><a data-waymark-key="a" href="https://shop.example.com/a?x=1&amp;y=2">A</a> <a href=\'https://shop.example.com/b\'>B</a></body></html>',
  text: 'Hi',
} as const;

describe('sending email through SMTP', () => {
  test('a marketing email arrives with tracked links, an open pixel and unsubscribe headers', async () => {
    const contactId = await insertContact(t.runtime, { email: 'ada@example.com' });
    const before = smtp.mails.length;
    const result = await createMessagesService(await stepScope(t.runtime, { contactId })).send({
      ...email,
      category: 'marketing',
    });
    expect(result.status).toBe('sent');
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    expect(mail?.to && 'text' in mail.to ? mail.to.text : '').toBe('ada@example.com');
    const html = String(mail?.html);
    expect(html).not.toContain('shop.example.com');
    expect(html.match(/https:\/\/waymark\.example\.com\/t\/c\/[^"]+/g)).toHaveLength(2);
    expect(html).toMatch(/<img src="https:\/\/waymark\.example\.com\/t\/o\/[^"]+" width="1" height="1" alt="">/);
    const unsubscribe = rawHeader(mail, 'list-unsubscribe');
    expect(unsubscribe).toMatch(/^<https:\/\/waymark\.example\.com\/unsubscribe\/[^>]+>$/);
    expect(rawHeader(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(html).toContain(unsubscribe.slice(1, -1));
    expect(mail?.text).toContain(unsubscribe.slice(1, -1));
  });

  test('a transactional email has tracking but no unsubscribe header', async () => {
    const contactId = await insertContact(t.runtime, { email: 'bob@example.com' });
    const before = smtp.mails.length;
    await createMessagesService(await stepScope(t.runtime, { contactId })).send({
      ...email,
      category: 'transactional',
    });
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    expect(rawHeader(mail, 'list-unsubscribe')).toBe('');
    expect(String(mail?.html)).toContain('/t/o/');
  });

  test('a retried step with the same idempotency key sends once', async () => {
    const contactId = await insertContact(t.runtime, { email: 'cy@example.com' });
    const scope = await stepScope(t.runtime, { contactId });
    const before = smtp.mails.length;
    const first = await createMessagesService(scope).send({ ...email, category: 'marketing' });
    const again = await createMessagesService(scope).send({ ...email, category: 'marketing' });
    expect(again).toEqual(first);
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.mails.length).toBe(before + 1);
    const rows = await t.runtime.db.selectFrom('messages').select('id').where('contact_id', '=', contactId).execute();
    expect(rows).toHaveLength(1);
  });

  test('an unreachable SMTP server fails the send as retryable; the message stays queued with the refusal', async () => {
    const broken = await createTestRuntime({ SMTP_URL: 'smtp://127.0.0.1:1' });
    try {
      const contactId = await insertContact(broken.runtime, { email: 'dee@example.com' });
      const send = createMessagesService(await stepScope(broken.runtime, { contactId })).send({
        ...email,
        category: 'marketing',
      });
      await expect(send).rejects.toMatchObject({ retryable: true });
      const row = await broken.runtime.db.selectFrom('messages').select(['status', 'error']).executeTakeFirst();
      // Failed only once its step gives up (test/sending/senders/retried-failure.test.ts).
      expect(row).toMatchObject({ status: 'queued', error: expect.stringContaining('ECONNREFUSED') });
    } finally {
      await broken.close();
    }
  });
});
