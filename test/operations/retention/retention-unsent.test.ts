import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MessagesTable } from '../../../engine/db/tables/messages.js';
import { dropPartitionsBefore } from '../../../engine/retention/partitions.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { enforceRetentionNow } from '../support/enforce-retention.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

const DAYS_AGO_4 = new Date(Date.now() - 4 * 24 * 60 * 60_000).toISOString();
const IN_AN_HOUR = new Date(Date.now() + 60 * 60_000).toISOString();

/** A transactional email created 4 days ago, in `status` with the extra columns that say why. */
function message(contactId: string, subject: string, status: MessagesTable['status'], extra: object = {}) {
  return {
    contact_id: contactId,
    channel: 'email',
    category: 'transactional' as const,
    to: 'unsent@example.com',
    html: '<p>rendered</p>',
    status,
    subject,
    created_at: DAYS_AGO_4,
    ...extra,
  };
}

describe('message retention', () => {
  test('keeps a message still to be sent or decided, whatever its age, and deletes the final ones', async () => {
    const { db } = t.runtime;
    const contact = await db
      .insertInto('contacts')
      .values({ workspace_id: sql<string>`(select id from workspaces where is_default)`, email: 'unsent@example.com' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('messages')
      .values([
        message(contact.id, 'queued', 'queued'),
        message(contact.id, 'held by quiet hours', 'delayed', { delayed_until: IN_AN_HOUR }),
        message(contact.id, 'held by a send rate', 'queued', { delayed_until: IN_AN_HOUR, rate_slot_at: IN_AN_HOUR }),
        message(contact.id, 'to be sent again by its step', 'queued', { error: '503 from the provider' }),
        message(contact.id, 'sent', 'sent', { sent_at: DAYS_AGO_4 }),
        message(contact.id, 'suppressed', 'suppressed', { reason: 'unsubscribed' }),
        message(contact.id, 'failed', 'failed', { error: 'mailbox unavailable' }),
      ])
      .execute();

    await enforceRetentionNow(t, { messages: 'P1D' });

    const listed = await t.app.inject({
      method: 'GET',
      url: `/api/messages?contactId=${contact.id}&limit=100`,
      headers: t.auth,
    });
    expect(listed.statusCode).toBe(200);
    const left = (listed.json().messages as { subject: string; status: string }[]).map(
      (m) => `${m.status}: ${m.subject}`,
    );
    expect(left.sort()).toEqual([
      'delayed: held by quiet hours',
      'queued: held by a send rate',
      'queued: queued',
      'queued: to be sent again by its step',
    ]);
  });

  test('a time partition holding a message still to be sent is not dropped', async () => {
    const { db } = t.runtime;
    await sql`
      create table probe_messages (created_at timestamptz not null, status text not null) partition by range (created_at);
      create table probe_messages_sent partition of probe_messages for values from ('2020-01-01') to ('2020-02-01');
      create table probe_messages_held partition of probe_messages for values from ('2020-02-01') to ('2020-03-01');
      insert into probe_messages values ('2020-01-10', 'sent'), ('2020-02-10', 'sent'), ('2020-02-11', 'delayed');
    `.execute(db);

    const dropped = await dropPartitionsBefore(db, 'probe_messages', new Date('2020-06-01T00:00:00Z'), {
      keepWhile: sql`status in ('queued', 'delayed')`,
    });

    expect(dropped).toEqual(['probe_messages_sent']);
    const { rows } = await sql<{ status: string }>`select status from probe_messages order by created_at`.execute(db);
    expect(rows.map((r) => r.status)).toEqual(['sent', 'delayed']);
  });
});
