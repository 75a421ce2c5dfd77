import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importContacts } from '../../../engine/contacts/import.js';
import { analyzeGrownTables } from '../../../engine/db/statistics.js';
import { defaultWorkspaceId } from '../../../server/teams/accounts/users.js';
import { createTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { eventually } from '../support.js';

let t: TestRuntime;

beforeAll(async () => {
  t = await createTestRuntime();
});
afterAll(async () => {
  await t?.close();
});

/** Adds `count` contacts (emails `<prefix><n>@example.test`) to the default workspace. */
async function addContacts(prefix: string, count: number): Promise<void> {
  await sql`
    insert into contacts (workspace_id, email)
    select (select id from workspaces order by created_at limit 1), ${prefix} || g || '@example.test'
    from generate_series(1, ${count}::int) g`.execute(t.runtime.db);
}

/** Whether the contacts are analyzed at a look, once the server's statistics learn of the rows (about a second). */
const contactsAnalyzedSoon = () =>
  eventually(async () => (await analyzeGrownTables(t.runtime.db)).includes('contacts'));

/** The buckets of the contacts' email histogram in the last analyze (its statistics target). */
async function emailBuckets(): Promise<number | undefined> {
  const { rows } = await sql<{ buckets: number }>`
    select array_length(histogram_bounds::text::text[], 1) - 1 as buckets from pg_stats
    where schemaname = current_schema() and tablename = 'contacts' and attname = 'email'`.execute(t.runtime.db);
  return rows[0]?.buckets;
}

describe('planner statistics of fast-growing tables', () => {
  test('a table grown from nothing by a couple of thousand rows is analyzed at the next look', async () => {
    await addContacts('first', 2000);
    expect(await contactsAnalyzedSoon()).toBe(true);
  });

  test('a table that grew by more than a fifth is analyzed at the next look, then left alone', async () => {
    const db = t.runtime.db;
    await addContacts('c', 12000);
    expect(await contactsAnalyzedSoon()).toBe(true);
    const { rows } = await sql<{ analyzed: boolean }>`
      select last_analyze is not null as analyzed from pg_stat_user_tables where relname = 'contacts'`.execute(db);
    expect(rows[0]?.analyzed).toBe(true);
    expect(await analyzeGrownTables(db)).not.toContain('contacts');
  });

  test('a look samples a tenth of what autovacuum does: ten buckets to a column, not a hundred', async () => {
    await addContacts('sampled', 15000);
    expect(await contactsAnalyzedSoon()).toBe(true);
    expect(await emailBuckets()).toBe(10);
    // The server's own analyze keeps its full sample.
    await sql`analyze contacts`.execute(t.runtime.db);
    expect(await emailBuckets()).toBe(100);
  });

  test('an import that grew the contacts by thousands leaves them analyzed', async () => {
    const db = t.runtime.db;
    await sql`analyze contacts`.execute(db);
    const before = await sql<{ at: Date }>`
      select last_analyze as at from pg_stat_user_tables where relname = 'contacts'`.execute(db);
    const lines = Array.from({ length: 25_000 }, (_, i) => JSON.stringify({ email: `i${i}@example.test` }));
    // The statistics of earlier statements reach the server within about a second.
    const stream = Readable.from(
      (async function* () {
        for (let i = 0; i < lines.length; i += 5000) {
          yield `${lines.slice(i, i + 5000).join('\n')}\n`;
          await new Promise((r) => setTimeout(r, 300));
        }
      })(),
    );
    const result = await importContacts(db, await defaultWorkspaceId(db), stream, 'ndjson');
    expect(result.created).toBe(25_000);
    const after = await sql<{ at: Date }>`
      select last_analyze as at from pg_stat_user_tables where relname = 'contacts'`.execute(db);
    expect(after.rows[0]?.at.getTime()).toBeGreaterThan(before.rows[0]?.at.getTime() ?? 0);
  });

  test('analyzing steps and runs leaves out their JSON columns and keeps the columns plans read', async () => {
    const db = t.runtime.db;
    await sql`
      insert into runs (journey_id, version, trigger_node_id, workspace_id, trigger, trace_context)
      select gen_random_uuid(), 1, 'hook', (select id from workspaces order by created_at limit 1),
        jsonb_build_object('order', g), '{}'
      from generate_series(1, 200) g`.execute(db);
    await sql`
      insert into steps (run_id, journey_id, version, node_id, status, output, outputs_taken)
      select id, journey_id, 1, 'tag', 'completed', jsonb_build_object('tag', 'vip'), '{out}' from runs`.execute(db);
    await sql`analyze steps`.execute(db);
    await sql`analyze runs`.execute(db);
    const { rows } = await sql<{ column: string }>`
      select tablename || '.' || attname as column from pg_stats
      where schemaname = current_schema() and tablename in ('steps', 'runs')`.execute(db);
    const analyzed = rows.map((r) => r.column);
    expect(analyzed).toEqual(
      expect.arrayContaining(['steps.run_id', 'steps.status', 'steps.node_id', 'runs.journey_id']),
    );
    for (const json of [
      'steps.output',
      'steps.error',
      'steps.resume',
      'steps.outputs_taken',
      'runs.trigger',
      'runs.trace_context',
      'runs.failure',
    ])
      expect(analyzed).not.toContain(json);
  });
});
