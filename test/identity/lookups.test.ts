import { sql } from 'kysely';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { identityHolders } from '../../engine/contacts/holders.js';
import { defaultWorkspaceId } from '../../server/teams/users.js';
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
