import { sql } from 'kysely';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { bindContact } from '../../engine/contacts/identity/bind.js';
import { identityHolders } from '../../engine/contacts/identity/holders.js';
import { defaultWorkspaceId } from '../../server/teams/accounts/users.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';

let t: TestRuntime;
let workspaceId: string;
beforeAll(async () => {
  t = await createTestRuntime();
  workspaceId = await defaultWorkspaceId(t.runtime.db);
  await sql`
    insert into contacts (workspace_id, email, phone, external_id)
    select ${workspaceId}, 'c' || i || '@example.com', '+3584000' || lpad(i::text, 5, '0'), 'ext-' || i
    from generate_series(1, 5000) as i`.execute(t.runtime.db);
  await sql`analyze contacts`.execute(t.runtime.db);
});
afterAll(() => t.close());

const values = { externalIds: ['ext-7'], emails: ['c42@example.com'], phones: ['+358400000099'] };

test('finds the contacts holding any of the identity values', async () => {
  const { rows } = await sql<{ external_id: string }>`
    select external_id from contacts where id in ${identityHolders(workspaceId, values)} order by external_id`.execute(
    t.runtime.db,
  );
  expect(rows.map((r) => r.external_id)).toEqual(['ext-42', 'ext-7', 'ext-99']);
});

test('a merged-away holder is found as well', async () => {
  await sql`
    update contacts set merged_into = (select id from contacts where external_id = 'ext-1')
    where external_id = 'ext-2'`.execute(t.runtime.db);
  const { rows } = await sql<{ external_id: string }>`
    select external_id from contacts
    where id in ${identityHolders(workspaceId, { externalIds: ['ext-2'], emails: [], phones: [] })}`.execute(
    t.runtime.db,
  );
  expect(rows.map((r) => r.external_id)).toEqual(['ext-2']);
});

test('reads the identity indexes, not every contact of the workspace', async () => {
  const { rows } = await sql<{ 'QUERY PLAN': string }>`
    explain select id from contacts where id in ${identityHolders(workspaceId, values)}`.execute(t.runtime.db);
  const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
  expect(plan).not.toMatch(/Seq Scan on contacts/);
});

test('binding a known identity (an event’s, a form’s) reads its contact by the identity indexes', async () => {
  const { id, seqScans } = await t.runtime.db.transaction().execute(async (trx) => {
    // The connection's scans of contacts not yet counted in pg_stat_user_tables.
    const scans = async () =>
      Number(
        (
          await sql<{ seq_scan: string }>`
            select seq_scan from pg_stat_xact_user_tables where relname = 'contacts'`.execute(trx)
        ).rows[0]?.seq_scan ?? 0,
      );
    const before = await scans();
    const id = await bindContact(trx, workspaceId, { email: 'c43@example.com' });
    return { id, seqScans: (await scans()) - before };
  });
  const { rows } = await sql<{ id: string }>`select id from contacts where email = 'c43@example.com'`.execute(
    t.runtime.db,
  );
  expect(id).toBe(rows[0]?.id);
  expect(seqScans).toBe(0);
});
