import { evaluateFilter, type Filter } from '@waymark/sdk';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadContacts } from '../../engine/contacts/load.js';
import { toContactEvent } from '../../engine/events/record.js';
import { compileFilter } from '../../engine/segments/compile.js';
import { defaultWorkspaceId } from '../../server/teams/accounts/users.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// A calendar month before March 31 10:00 is February 28 10:00 (30 days before would be March 1).
const now = new Date('2026-03-31T10:00:00Z');
const inside = new Date('2026-02-28T12:00:00Z');
const outside = new Date('2026-02-28T08:00:00Z');

let tdb: TestDatabase;
let ids: { inside: string; outside: string };
beforeAll(async () => {
  tdb = await createTestDatabase();
  const add = async (email: string, at: Date) => {
    const { rows } = await sql<{ id: string }>`insert into contacts (workspace_id, email)
      values ((select id from workspaces where is_default), ${email}) returning id`.execute(tdb.db);
    const id = rows[0]?.id as string;
    await sql`insert into events (contact_id, name, properties, timestamp) values (${id}, 'buy', '{}', ${at})`.execute(
      tdb.db,
    );
    await sql`insert into contact_tags (contact_id, tag, count, first_added_at, last_added_at)
      values (${id}, 'vip', 1, ${at}, ${at})`.execute(tdb.db);
    await sql`insert into contact_lists (contact_id, list, added_at) values (${id}, 'news', ${at})`.execute(tdb.db);
    return id;
  };
  ids = { inside: await add('in@example.com', inside), outside: await add('out@example.com', outside) };
});
afterAll(() => tdb.drop());

async function matching(filter: Filter): Promise<{ sql: string[]; memory: string[] }> {
  const { rows } = await sql<{ id: string }>`select c.id from contacts c
    where c.id in (${ids.inside}, ${ids.outside}) and ${compileFilter(filter, { now })}`.execute(tdb.db);
  const contacts = await loadContacts(tdb.db, await defaultWorkspaceId(tdb.db), [ids.inside, ids.outside]);
  const events = (await sql<Parameters<typeof toContactEvent>[0]>`select * from events`.execute(tdb.db)).rows.map(
    toContactEvent,
  );
  const memory = contacts
    .filter((c) => evaluateFilter(filter, { contact: c, events: events.filter((x) => x.contactId === c.id), now }))
    .map((c) => c.id);
  return { sql: rows.map((r) => r.id), memory };
}

describe('a filter window of months reaches back calendar months, in SQL as in memory', () => {
  test('an event clause within P1M on March 31 counts an event of February 28 after 10:00', async () => {
    expect(await matching({ event: 'buy', op: 'count', within: 'P1M' })).toEqual({
      sql: [ids.inside],
      memory: [ids.inside],
    });
  });

  test('a tag clause lastAddedWithin P1M reaches back the same calendar month', async () => {
    expect(await matching({ tag: 'vip', op: 'has', lastAddedWithin: 'P1M' })).toEqual({
      sql: [ids.inside],
      memory: [ids.inside],
    });
  });

  test('a list clause addedWithin P1M reaches back the same calendar month', async () => {
    expect(await matching({ list: 'news', op: 'member', addedWithin: 'P1M' })).toEqual({
      sql: [ids.inside],
      memory: [ids.inside],
    });
  });
});
