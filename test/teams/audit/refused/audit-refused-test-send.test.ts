import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../../../channels/smtp-sink.js';
import { createTestApp, type TestApp } from '../../../support/runtime.js';
import { caller, entriesOf, expectRefused, whileAuditRefused } from '../audit-refusal.js';

// teams.md "Audit log": every successful change is appended in the same transaction as the
// change. A template's test send stores its message and mails it: one whose entry cannot be
// written stores nothing and mails no one.

let t: TestApp;
let smtp: SmtpSink;
beforeAll(async () => {
  smtp = await startSmtpSink();
  t = await createTestApp({ SMTP_URL: smtp.url, PUBLIC_URL: 'https://mail.example.com' });
});
afterAll(async () => {
  await t.close();
  await smtp.close();
});

const call = (...args: Parameters<ReturnType<typeof caller>>) => caller(t)(...args);
const template = { name: 'Welcome', format: 'html', subject: 'Hi', body: '<p>Hello</p>' };
const testSend = { to: 'me@example.com', from: 'shop@example.com' };

describe('a test send whose entry cannot be recorded', () => {
  test('answers 500, stores no message and mails no one', async () => {
    expect((await call('PUT', '/api/templates/refused', template)).statusCode).toBe(201);
    expectRefused(await whileAuditRefused(t, () => call('POST', '/api/templates/refused/send-test', testSend)));
    const stored = await t.runtime.db.selectFrom('messages').select('id').where('to', '=', testSend.to).execute();
    expect(stored).toEqual([]);
    // A send that is recorded arrives first: none came before it.
    const sent = await call('POST', '/api/templates/refused/send-test', testSend);
    expect(sent.statusCode).toBe(200);
    await smtp.waitFor(1);
    expect(smtp.mails.map((m) => m.subject)).toEqual(['[Test] Hi']);
    expect((await entriesOf(t, 'refused')).map((e) => [e.action, e.details])).toEqual([
      ['template.test_sent', { messageId: (sent.json() as { messageId: string }).messageId }],
      ['template.created', undefined],
    ]);
    expect((await entriesOf(t, 'refused'))[0]).toMatchObject({
      actor: { type: 'token', id: expect.any(String), name: 'WAYMARK_API_TOKEN' },
      object: { type: 'template', id: 'refused' },
    });
  });
});
