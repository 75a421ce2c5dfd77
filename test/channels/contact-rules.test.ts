import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { saveContactRules } from '../../engine/messages/rules/contact-rules.js';
import { createMessagesService } from '../../engine/messages/service.js';
import { defaultWorkspaceId } from '../../server/teams/accounts/users.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { insertContact, stepScope } from './scope.js';

let t: TestRuntime;
beforeAll(async () => {
  t = await createTestRuntime();
});
afterAll(() => t.close());
beforeEach(async () => saveContactRules(t.runtime.db, await defaultWorkspaceId(t.runtime.db), {}));

const marketingEmail = { channel: 'email', category: 'marketing', subject: 'Hi', html: '<p>Hi</p>' } as const;
const sms = {
  channel: 'sms',
  category: 'marketing',
  text: 'Hi',
  deliver: async () => ({ providerId: 'gw-1' }),
} as const;

async function send(
  contactId: string,
  request: Parameters<ReturnType<typeof createMessagesService>['send']>[0],
  now?: Date,
) {
  return createMessagesService(await stepScope(t.runtime, { contactId, ...(now ? { now: () => now } : {}) })).send(
    request,
  );
}

describe('consent', () => {
  test('an unsubscribed contact gets no marketing email', async () => {
    const id = await insertContact(t.runtime, {
      email: `${randomUUID()}@example.com`,
      consent: { email: { status: 'unsubscribed' }, sms: { status: 'unknown' } },
    });
    expect(await send(id, marketingEmail)).toMatchObject({ status: 'suppressed', reason: 'unsubscribed' });
  });

  test('transactional mail reaches an unsubscribed contact', async () => {
    const id = await insertContact(t.runtime, {
      email: `${randomUUID()}@example.com`,
      consent: { email: { status: 'unsubscribed' }, sms: { status: 'unknown' } },
    });
    expect(await send(id, { ...marketingEmail, category: 'transactional' })).toMatchObject({ status: 'sent' });
  });

  test('with requireConsent, unknown consent suppresses marketing as no-consent', async () => {
    await saveContactRules(t.runtime.db, await defaultWorkspaceId(t.runtime.db), { requireConsent: true });
    const id = await insertContact(t.runtime, { email: `${randomUUID()}@example.com` });
    expect(await send(id, marketingEmail)).toMatchObject({ status: 'suppressed', reason: 'no-consent' });
  });

  test('a hard-bounced address gets no mail at all', async () => {
    const address = `${randomUUID()}@example.com`;
    const id = await insertContact(t.runtime, { email: address });
    await sql`insert into email_suppressions (address) values (${address.toUpperCase()})`.execute(t.runtime.db);
    expect(await send(id, { ...marketingEmail, category: 'transactional' })).toMatchObject({
      status: 'suppressed',
      reason: 'bounced',
    });
  });
});

describe('subscription categories', () => {
  const newsletter = { ...marketingEmail, subscription: 'newsletter' } as const;
  const unsubscribedFrom = (category: string) => ({
    [category]: { status: 'unsubscribed', source: 'test', at: new Date().toISOString() },
  });

  async function contactWith(subscriptions: object): Promise<string> {
    const phone = `+35840${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    const id = await insertContact(t.runtime, { email: `${randomUUID()}@example.com`, phone });
    await sql`update contacts set subscriptions = ${JSON.stringify(subscriptions)}::jsonb where id = ${id}`.execute(
      t.runtime.db,
    );
    return id;
  }

  test('a contact unsubscribed from a category gets none of its marketing messages', async () => {
    const id = await contactWith(unsubscribedFrom('newsletter'));
    expect(await send(id, newsletter)).toMatchObject({ status: 'suppressed', reason: 'unsubscribed' });
    expect(await send(id, { ...sms, subscription: 'newsletter' })).toMatchObject({
      status: 'suppressed',
      reason: 'unsubscribed',
    });
    const row = await t.runtime.db
      .selectFrom('messages')
      .select(['subscription', 'reason'])
      .where('contact_id', '=', id)
      .execute();
    expect(row).toEqual([
      { subscription: 'newsletter', reason: 'unsubscribed' },
      { subscription: 'newsletter', reason: 'unsubscribed' },
    ]);
  });

  test('still gets the other categories and uncategorised marketing', async () => {
    const id = await contactWith(unsubscribedFrom('newsletter'));
    expect((await send(id, { ...marketingEmail, subscription: 'offers' })).status).toBe('sent');
    expect((await send(id, marketingEmail)).status).toBe('sent');
  });

  test('does not hold transactional messages of the category', async () => {
    const id = await contactWith(unsubscribedFrom('newsletter'));
    expect((await send(id, { ...newsletter, category: 'transactional' })).status).toBe('sent');
  });

  test('a contact subscribed again gets the category again', async () => {
    const id = await contactWith({ newsletter: { status: 'subscribed', at: new Date().toISOString() } });
    expect((await send(id, newsletter)).status).toBe('sent');
  });
});

describe('frequency cap', () => {
  test('counts marketing messages across channels and journeys', async () => {
    await saveContactRules(t.runtime.db, await defaultWorkspaceId(t.runtime.db), {
      marketing: { maxMessages: 2, period: 'P7D' },
    });
    const id = await insertContact(t.runtime, { email: `${randomUUID()}@example.com`, phone: '+358401234567' });
    expect((await send(id, marketingEmail)).status).toBe('sent');
    expect((await send(id, sms)).status).toBe('sent');
    expect(await send(id, marketingEmail)).toMatchObject({ status: 'suppressed', reason: 'frequency-cap' });
    expect((await send(id, { ...marketingEmail, category: 'transactional' })).status).toBe('sent');
  });

  test('frees a slot once the period has passed', async () => {
    await saveContactRules(t.runtime.db, await defaultWorkspaceId(t.runtime.db), {
      marketing: { maxMessages: 1, period: 'P1D' },
    });
    const id = await insertContact(t.runtime, { email: `${randomUUID()}@example.com` });
    expect((await send(id, marketingEmail, new Date('2026-01-01T12:00:00Z'))).status).toBe('sent');
    expect((await send(id, marketingEmail, new Date('2026-01-02T11:00:00Z'))).status).toBe('suppressed');
    expect((await send(id, marketingEmail, new Date('2026-01-02T12:30:00Z'))).status).toBe('sent');
  });

  test('concurrent sends racing for the last slot let exactly one through', async () => {
    await saveContactRules(t.runtime.db, await defaultWorkspaceId(t.runtime.db), {
      marketing: { maxMessages: 1, period: 'P7D' },
    });
    const id = await insertContact(t.runtime, { email: `${randomUUID()}@example.com` });
    const results = await Promise.all(Array.from({ length: 8 }, () => send(id, marketingEmail)));
    expect(results.filter((r) => r.status === 'sent')).toHaveLength(1);
    expect(results.filter((r) => r.reason === 'frequency-cap')).toHaveLength(7);
  });
});

describe('quiet hours', () => {
  test('delay a marketing message to the end of quiet hours in the contact’s time zone', async () => {
    await saveContactRules(t.runtime.db, await defaultWorkspaceId(t.runtime.db), {
      quietHours: { start: '21:00', end: '08:00' },
    });
    const id = await insertContact(t.runtime, { email: `${randomUUID()}@example.com`, timezone: 'Europe/Helsinki' });
    // 20:30 UTC is 22:30 in Helsinki (winter, +02:00): quiet until 08:00 local = 06:00 UTC.
    const result = await send(id, marketingEmail, new Date('2026-01-10T20:30:00Z'));
    expect(result).toMatchObject({ status: 'delayed', reason: 'quiet-hours', until: new Date('2026-01-11T06:00:00Z') });
    const row = await t.runtime.db
      .selectFrom('messages')
      .select(['status', 'reason'])
      .where('id', '=', result.messageId)
      .executeTakeFirst();
    expect(row).toEqual({ status: 'delayed', reason: 'quiet-hours' });
  });

  test('the same step sends once the quiet hours are over', async () => {
    await saveContactRules(t.runtime.db, await defaultWorkspaceId(t.runtime.db), {
      quietHours: { start: '21:00', end: '08:00' },
    });
    const id = await insertContact(t.runtime, { email: `${randomUUID()}@example.com` });
    let now = new Date('2026-01-10T23:00:00Z');
    const scope = await stepScope(t.runtime, { contactId: id, now: () => now });
    const delayed = await createMessagesService(scope).send(marketingEmail);
    expect(delayed.status).toBe('delayed');
    now = new Date('2026-01-11T03:00:00Z');
    expect((await createMessagesService(scope).send(marketingEmail)).status).toBe('delayed');
    now = delayed.until as Date;
    const sent = await createMessagesService(scope).send(marketingEmail);
    expect(sent).toMatchObject({ status: 'sent', messageId: delayed.messageId });
  });

  test('do not hold transactional messages', async () => {
    await saveContactRules(t.runtime.db, await defaultWorkspaceId(t.runtime.db), {
      quietHours: { start: '21:00', end: '08:00' },
    });
    const id = await insertContact(t.runtime, { email: `${randomUUID()}@example.com` });
    const result = await send(id, { ...marketingEmail, category: 'transactional' }, new Date('2026-01-10T23:00:00Z'));
    expect(result.status).toBe('sent');
  });
});

describe('the outbox', () => {
  test('keeps the rendered email when no SMTP server is configured', async () => {
    const id = await insertContact(t.runtime, { email: `${randomUUID()}@example.com` });
    const result = await send(id, { ...marketingEmail, html: '<a href="https://x.example.com">x</a>' });
    const row = await t.runtime.db
      .selectFrom('messages')
      .selectAll()
      .where('id', '=', result.messageId)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('sent');
    expect(row.html).toContain('/t/c/');
    expect(row.headers['List-Unsubscribe']).toMatch(/\/unsubscribe\//);
  });
});
