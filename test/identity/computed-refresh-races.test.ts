import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { refreshDue } from '../../engine/computed/schedule.js';
import { deleteComputed, lockComputed, putComputed } from '../../engine/computed/store.js';
import { recordEvent } from '../../engine/events/record.js';
import { defaultWorkspaceId } from '../../server/teams/accounts/users.js';
import { insertContact } from '../channels/scope.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';

let t: TestRuntime;
let workspaceId: string;
beforeAll(async () => {
  t = await createTestRuntime();
  workspaceId = await defaultWorkspaceId(t.runtime.db);
});
afterAll(() => t.close());

const flagged = async () => {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from contacts where workspace_id = ${workspaceId} and computed ? 'vip'`.execute(
    t.runtime.db,
  );
  return rows[0]?.n ?? 0;
};

describe('the scheduled refresh of computed attributes', () => {
  test('does not write back the values of an attribute deleted while it waited', async () => {
    for (let i = 0; i < 20; i++) await insertContact(t.runtime, { email: `race${i}@example.com` });
    await putComputed(t.runtime.db, workspaceId, 'vip', {
      definition: { kind: 'filter', filter: { attr: 'plan', op: 'eq', value: 'gold' } },
    });
    await refreshDue(t.runtime.db);
    expect(await flagged()).toBe(20);
    // Five contacts' values are now due to change (their plan changed behind the refresh's
    // back), and the attribute is deleted by a transaction that holds the lock until told.
    await sql`update contacts set attributes = attributes || '{"plan": "gold"}'
      where id in (select id from contacts where workspace_id = ${workspaceId} order by id limit 5)`.execute(
      t.runtime.db,
    );
    await sql`update computed_attributes set refreshed_at = null where name = 'vip'`.execute(t.runtime.db);
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const holding = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const deleting = t.runtime.db.transaction().execute(async (trx) => {
      await lockComputed(trx, workspaceId, 'exclusive');
      await sql`delete from computed_attributes where workspace_id = ${workspaceId} and name = 'vip'`.execute(trx);
      await sql`update contacts set computed = computed - 'vip' where workspace_id = ${workspaceId}`.execute(trx);
      locked();
      await released;
    });
    await holding;
    const refreshing = refreshDue(t.runtime.db);
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    await deleting;
    await refreshing;
    expect(await flagged()).toBe(0);
  });

  test('beside a delete, both succeed and the attribute is gone from every contact', async () => {
    for (let round = 0; round < 5; round++) {
      await putComputed(t.runtime.db, workspaceId, 'vip', {
        definition: { kind: 'filter', filter: { attr: 'plan', op: 'eq', value: `gold${round}` } },
      });
      const [refreshed, deleted] = await Promise.allSettled([
        refreshDue(t.runtime.db),
        deleteComputed(t.runtime.db, workspaceId, 'vip'),
      ]);
      expect([refreshed.status, deleted.status]).toEqual(['fulfilled', 'fulfilled']);
      expect(await flagged()).toBe(0);
    }
  });

  test('does not write back a value counted before an event that committed while it waited', async () => {
    const ann = await insertContact(t.runtime, { email: 'overtaken@example.com' });
    await putComputed(t.runtime.db, workspaceId, 'orders', {
      definition: { kind: 'aggregate', fn: 'count', event: 'purchase' },
    });
    await refreshDue(t.runtime.db);
    // Two purchases stored behind the values' back: the scheduled refresh has a change to write.
    await sql`insert into events (contact_id, name) values (${ann}, 'purchase'), (${ann}, 'purchase')`.execute(
      t.runtime.db,
    );
    await sql`update computed_attributes set refreshed_at = null where name = 'orders'`.execute(t.runtime.db);
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let stored = () => {};
    const holding = new Promise<void>((resolve) => {
      stored = resolve;
    });
    // A third purchase, recorded as POST /api/events records it, in a transaction held open.
    const recording = t.runtime.db.transaction().execute(async (trx) => {
      await recordEvent(trx, { contactId: ann, name: 'purchase' });
      stored();
      await released;
    });
    await holding;
    const refreshing = refreshDue(t.runtime.db);
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    await recording;
    await refreshing;
    const { rows } = await sql<{ orders: unknown }>`
      select computed -> 'orders' as orders from contacts where id = ${ann}`.execute(t.runtime.db);
    expect(rows[0]?.orders).toBe(3);
  });
});
