import { randomUUID } from 'node:crypto';
import type { SendRequest } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMessagesService } from '../../../engine/messages/service.js';
import { closeSmtpPools } from '../../../nodes/email/src/smtp-pools.js';
import { insertContact, stepScope } from '../../channels/scope.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type RawSmtpServer, startRawSmtpServer } from '../smtp-server.js';

// A send naming a credential its step may not use (none by that id, another workspace's, one
// deleted meanwhile) fails with `credential.missing` and leaves no message queued for ever.
let t: TestApp;
let smtp: RawSmtpServer;

beforeAll(async () => {
  smtp = await startRawSmtpServer();
  t = await createTestApp();
});
afterAll(async () => {
  closeSmtpPools();
  await t.close();
  await smtp.close();
});

const mail = (credential: string, to?: string): SendRequest => ({
  channel: 'email',
  category: 'transactional',
  from: 'News <news@example.com>',
  subject: 'Order shipped',
  html: '<p>On its way</p>',
  credential,
  ...(to ? { to } : {}),
});

const messagesOf = (idempotencyKey: string) =>
  t.runtime.db
    .selectFrom('messages')
    .select(['status', 'error'])
    .where('idempotency_key', '=', idempotencyKey)
    .execute();

describe('a send naming a credential the step may not use', () => {
  test('to a contact: refused, nothing stored', async () => {
    const contactId = await insertContact(t.runtime, { email: 'refused-contact@example.org' });
    const scope = await stepScope(t.runtime, { contactId });
    await expect(createMessagesService(scope).send(mail(randomUUID()))).rejects.toMatchObject({
      stepCode: 'credential.missing',
    });
    expect(await messagesOf(scope.idempotencyKey)).toEqual([]);
  });

  test('to an address and no contact: refused, nothing stored', async () => {
    const scope = await stepScope(t.runtime);
    await expect(createMessagesService(scope).send(mail(randomUUID(), 'someone@example.org'))).rejects.toMatchObject({
      stepCode: 'credential.missing',
    });
    expect(await messagesOf(scope.idempotencyKey)).toEqual([]);
  });

  test('deleted while its message was held for the rate: the message fails, saying why', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/credentials',
      headers: t.auth,
      payload: {
        name: 'slow',
        type: 'email.smtp',
        data: { host: smtp.host, port: smtp.port, requireTLS: false, maxPerSecond: 1 },
      },
    });
    const credential = created.json().id as string;
    const contacts = await Promise.all([1, 2].map((i) => insertContact(t.runtime, { email: `held${i}@example.org` })));
    const scopes = await Promise.all(contacts.map((contactId) => stepScope(t.runtime, { contactId })));
    const answers = [];
    for (const scope of scopes) answers.push(await createMessagesService(scope).send(mail(credential)));
    expect(answers.map((a) => a.status)).toEqual(['sent', 'delayed']);
    const held = scopes[1] as (typeof scopes)[number];

    const deleted = await t.app.inject({ method: 'DELETE', url: `/api/credentials/${credential}`, headers: t.auth });
    expect(deleted.statusCode).toBe(204);
    await expect(
      createMessagesService({ ...held, now: () => new Date() }).send(mail(credential)),
    ).rejects.toMatchObject({ stepCode: 'credential.missing' });
    expect(await messagesOf(held.idempotencyKey)).toEqual([
      { status: 'failed', error: `credential ${credential} does not exist or is no email sending credential` },
    ]);
  });

  // API.md "Messages": `reason` is set when the status is suppressed or delayed, not on a failure.
  test('deleted while its message waited for quiet hours: the message fails, without the reason', async () => {
    const rules = (payload: object) =>
      t.app.inject({ method: 'PUT', url: '/api/settings/contact-rules', headers: t.auth, payload });
    expect((await rules({ quietHours: { start: '21:00', end: '08:00' } })).statusCode).toBe(200);
    try {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/credentials',
        headers: t.auth,
        payload: { name: 'quiet', type: 'email.smtp', data: { host: smtp.host, port: smtp.port, requireTLS: false } },
      });
      const credential = created.json().id as string;
      const contactId = await insertContact(t.runtime, { email: 'quiet@example.org', timezone: 'Europe/Helsinki' });
      // 23:30 in Helsinki, then 09:00 the next morning.
      const night = await stepScope(t.runtime, { contactId, now: () => new Date('2030-01-10T21:30:00Z') });
      const marketing = { ...mail(credential), category: 'marketing' as const };
      expect(await createMessagesService(night).send(marketing)).toMatchObject({
        status: 'delayed',
        reason: 'quiet-hours',
      });

      expect(
        (await t.app.inject({ method: 'DELETE', url: `/api/credentials/${credential}`, headers: t.auth })).statusCode,
      ).toBe(204);
      const morning = { ...night, now: () => new Date('2030-01-11T07:00:00Z') };
      await expect(createMessagesService(morning).send(marketing)).rejects.toMatchObject({
        stepCode: 'credential.missing',
      });
      const listed = await t.app.inject({
        method: 'GET',
        url: `/api/messages?contactId=${contactId}`,
        headers: t.auth,
      });
      const [message] = listed.json().messages;
      expect(message).toMatchObject({
        status: 'failed',
        error: `credential ${credential} does not exist or is no email sending credential`,
      });
      expect(message.reason).toBeUndefined();
    } finally {
      await rules({});
    }
  });
});
