import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { analyzeGrownTables } from '../../engine/db/statistics.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { eventually } from './support.js';

let t: TestRuntime;

beforeAll(async () => {
  t = await createTestRuntime();
});
afterAll(async () => {
  await t?.close();
});

describe('planner statistics of fast-growing tables', () => {
  test('a table that grew by more than a fifth is analyzed at the next look, then left alone', async () => {
    const db = t.runtime.db;
    await sql`
      insert into contacts (workspace_id, email)
      select (select id from workspaces order by created_at limit 1), 'c' || g || '@example.test'
      from generate_series(1, 12000) g`.execute(db);
    // The server's statistics learn of the rows within about a second of the commit.
    expect(await eventually(async () => (await analyzeGrownTables(db)).includes('contacts'))).toBe(true);
    const { rows } = await sql<{ analyzed: boolean }>`
      select last_analyze is not null as analyzed from pg_stat_user_tables where relname = 'contacts'`.execute(db);
    expect(rows[0]?.analyzed).toBe(true);
    expect(await analyzeGrownTables(db)).not.toContain('contacts');
  });
});
