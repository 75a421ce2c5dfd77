import { evaluateFilter, type Filter } from '@waymark/sdk';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadContact } from '../../engine/contacts/load.js';
import { toContactEvent } from '../../engine/events/record.js';
import { defaultWorkspaceId } from '../../server/teams/accounts/users.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { segmentField } from './support.js';

// An event may be posted with any timestamp, one in the future too. A window (`within: P7D`)
// is the last seven days up to now: an event dated later has not happened in it yet.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const DAY = 86_400_000;

async function postEvent(email: string, timestamp: Date): Promise<void> {
  const payload = { email, name: 'purchase', timestamp: timestamp.toISOString() };
  const res = await t.app.inject({ method: 'POST', url: '/api/events', headers: t.auth, payload });
  expect(res.statusCode, res.body).toBe(202);
}

/** Who `filter` matches in memory, over each contact's stored events. */
async function inMemory(emails: string[], filter: Filter, now: Date): Promise<string[]> {
  const workspaceId = await defaultWorkspaceId(t.runtime.db);
  const matched: string[] = [];
  for (const email of emails) {
    const { rows } = await sql<Parameters<typeof toContactEvent>[0]>`select e.* from events e
      join contacts c on c.id = e.contact_id where c.email = ${email}`.execute(t.runtime.db);
    const contact = await loadContact(t.runtime.db, workspaceId, rows[0]?.contact_id ?? '');
    if (evaluateFilter(filter, { contact, events: rows.map(toContactEvent), now })) matched.push(email);
  }
  return matched;
}

describe('an event count within a window', () => {
  test('counts events up to now, not those dated in the future, in SQL and in memory alike', async () => {
    const now = Date.now();
    await postEvent('past@x.io', new Date(now - DAY));
    await postEvent('future@x.io', new Date(now + 365 * DAY));
    const filter: Filter = { event: 'purchase', op: 'count', within: 'P7D' };

    const segment = await segmentField(t, filter, 'email');
    expect(segment).toEqual(['past@x.io']);
    expect(await inMemory(['past@x.io', 'future@x.io'], filter, new Date())).toEqual(segment);
  });
});
