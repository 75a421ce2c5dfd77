import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { enforceRetentionNow } from '../support/enforce-retention.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 60 * 60_000).toISOString();

// operations.md "Retention": a message past the `messages` setting goes with its tracking state.
describe('message retention', () => {
  test('deletes the first opens and clicks recorded of the messages it deletes, and keeps those of the rest', async () => {
    const { db } = t.runtime;
    const contact = await db
      .insertInto('contacts')
      .values({ workspace_id: sql<string>`(select id from workspaces where is_default)`, email: 'opened@example.com' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const sent = (subject: string, days: number) => ({
      contact_id: contact.id,
      channel: 'email',
      category: 'transactional' as const,
      to: 'opened@example.com',
      html: '<p>rendered</p>',
      status: 'sent' as const,
      subject,
      created_at: daysAgo(days),
      sent_at: daysAgo(days),
    });
    const [old, young] = await db
      .insertInto('messages')
      .values([sent('old', 40), sent('young', 10)])
      .returning('id')
      .execute();
    const ids = [old?.id, young?.id] as string[];
    await sql`insert into message_firsts (message_id, kind)
      select id, kind from unnest(${ids}::uuid[]) id, unnest(array['open', 'click']) kind`.execute(db);

    await enforceRetentionNow(t, { messages: 'P30D' });

    const { rows: left } = await sql<{ message_id: string }>`
      select message_id from message_firsts where message_id = any(${ids}::uuid[])`.execute(db);
    expect(left.map((f) => f.message_id)).toEqual([young?.id, young?.id]);
  });
});
