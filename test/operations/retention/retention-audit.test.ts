import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { enforceAllRetention } from '../../../engine/retention/enforce.js';
import { saveRetention } from '../../../engine/retention/settings.js';
import { e, n, publish } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { daysAgo, insertOldRun } from '../support/old-runs.js';

// The workers' hourly pass deleted a workspace's old data with no word in its audit log, where
// a person's POST …/retention/enforce is recorded: an admin could not tell what went, or when.
let t: TestApp;
let workspaceId: string;
let journey: { journeyId: string; version: number };
beforeAll(async () => {
  t = await createTestApp();
  const { db } = t.runtime;
  workspaceId = (
    await db.selectFrom('workspaces').select('id').where('is_default', '=', true).executeTakeFirstOrThrow()
  ).id;
  journey = await publish(db, {
    nodes: [n('t', 'core.webhook', { secret: 'x'.repeat(20) }), n('a', 'core.exit')],
    edges: [e('t', 'a')],
  });
});
afterAll(() => t?.close());

const DAY = 24 * 60 * 60_000;

/** A run that ended `days` ago with a trigger payload and two steps. */
const oldRun = (days: number) =>
  insertOldRun(t.runtime.db, journey, {
    status: 'completed',
    startedDays: days + 1,
    endedDays: days,
    trigger: { email: 'payload@example.com' },
    nodes: ['t', 'a'],
  });

async function oldEvents(count: number, days: number): Promise<void> {
  const { db } = t.runtime;
  const contact = await db
    .insertInto('contacts')
    .values({ workspace_id: workspaceId, email: `events-${Date.now()}@example.com` })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (let i = 0; i < count; i++)
    await db
      .insertInto('events')
      .values({ contact_id: contact.id, name: `old-${i}`, timestamp: daysAgo(days) })
      .execute();
}

const removedEntries = async () =>
  (await t.app.inject({ url: '/api/audit?action=retention.removed', headers: t.auth })).json().entries as {
    actor: unknown;
    object: unknown;
    details: { cutoffs: Record<string, string | null>; removed: Record<string, number> };
  }[];

describe('the audit entry of the workers’ retention pass', () => {
  test('a pass that removes nothing records nothing', async () => {
    await saveRetention(t.runtime.db, workspaceId, { steps: 'P30D', events: 'P30D', messages: 'P30D' });
    await enforceAllRetention(t.runtime.db, { wait: true });
    expect(await removedEntries()).toEqual([]);
  });

  test('a pass that removes data records retention.removed by Waymark, with the counts of each kind and the cutoffs', async () => {
    await oldRun(40);
    await oldEvents(3, 60);
    await saveRetention(t.runtime.db, workspaceId, { steps: 'P30D', events: 'P30D' });
    await enforceAllRetention(t.runtime.db, { wait: true });

    const entries = await removedEntries();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor: { type: 'system', id: null, name: 'Waymark' },
      object: { type: 'retention', id: null },
      details: {
        removed: { steps: 2, runTriggers: 1, events: 3, providerEventKeys: 0, messages: 0 },
        cutoffs: { steps: expect.any(String), events: expect.any(String), messages: null },
      },
    });
    const cutoff = new Date(entries[0]?.details.cutoffs.steps as string).getTime();
    expect(Math.abs(cutoff - (Date.now() - 30 * DAY))).toBeLessThan(60_000);
  });

  test('the next pass, with nothing left to remove, adds no entry', async () => {
    const before = (await removedEntries()).length;
    await enforceAllRetention(t.runtime.db, { wait: true });
    expect(await removedEntries()).toHaveLength(before);
  });

  test('only the workspace whose data went gets an entry', async () => {
    const { db } = t.runtime;
    const other = await db.insertInto('workspaces').values({ name: 'Quiet' }).returning('id').executeTakeFirstOrThrow();
    await saveRetention(db, other.id, { events: 'P30D' });
    await oldEvents(1, 60);
    await enforceAllRetention(db, { wait: true });
    const { rows } = await sql<{ workspace_id: string }>`
      select workspace_id from audit_log where action = 'retention.removed'`.execute(db);
    expect(rows.every((r) => r.workspace_id === workspaceId)).toBe(true);
    const latest = (await removedEntries())[0];
    expect(latest?.details.removed).toMatchObject({ events: 1, steps: 0 });
  });
});
