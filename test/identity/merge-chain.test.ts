import { sql } from 'kysely';
import { describe, expect, test } from 'vitest';
import { mergeContacts } from '../../engine/contacts/merge/merge.js';
import { defaultWorkspaceId } from '../../server/teams/accounts/users.js';
import { identityApp } from './support.js';

const { app, json, contact } = identityApp();

/** Whether some backend waits for a lock (the call under test has reached it). */
async function someoneWaits(): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock'`.execute(app().runtime.db);
  return (rows[0]?.n ?? 0) > 0;
}

describe('a row written for a contact merged into one that is being merged on', () => {
  // B is merged into A; A is being merged into C while a row names B, as a step that read its
  // contact before the merges writes one. Calls through the API name the survivor they read.
  test('lands on the last survivor, not on the contact merged away under it', async () => {
    const { db } = app().runtime;
    const [a, b, c] = await Promise.all(['ca', 'cb', 'cc'].map((p) => contact({ email: `${p}@chain.example` })));
    await json('POST', `/api/contacts/${a}/merge`, { from: b });
    const merging = await db.startTransaction().execute();
    await mergeContacts(merging, await defaultWorkspaceId(db), c, a, { automatic: false });
    const written = sql<{ contact_id: string }>`
      insert into events (contact_id, name) values (${b}, 'chained') returning contact_id`.execute(db);
    for (let i = 0; i < 100 && !(await someoneWaits()); i++) await new Promise((r) => setTimeout(r, 20));
    await merging.commit().execute();
    expect((await written).rows[0]?.contact_id).toBe(c);
  });
});
