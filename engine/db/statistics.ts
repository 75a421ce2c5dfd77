import { type Kysely, sql } from 'kysely';
import type { Database } from './database.js';
import { inTransaction } from './transaction.js';

/** The tables a broadcast, an import or a busy journey can grow many times over in seconds. */
const FAST_GROWING = ['runs', 'steps', 'waits', 'messages', 'events', 'contacts', 'node_counters', 'journey_rollups'];

// Rows changed before a small table is analyzed. A table grown from nothing has no statistics
// at all: the webhook intake's generic plan then looked contacts up by email through the
// external-id index (both start with the workspace), reading all of them for each group.
const MIN_CHANGES = 1000;

// The sample of a look's analyze, as a statistics target (300 rows each): a tenth of the
// server's default. A look is there for the planner's idea of a table's size and spread, which
// a sample of 3,000 rows gives; a full one read most of a young table's pages each time
// (analyze steps on a 30,000-contact journey's 150,000 steps: 87-119 ms, 11-12 ms at 10, a
// twentieth of PostgreSQL's time draining a 10,000-contact journey). Autovacuum's own analyze,
// at a tenth of growth to the look's fifth, comes back with the full sample. Columns with a
// target of their own (0054) keep it.
const LOOK_TARGET = 10;

/**
 * Analyzes the fast-growing tables that changed by a fifth since their last analyze.
 * Autovacuum looks once a minute; until then the planner sees the table as it was (a
 * broadcast's first 100k runs as none), and picks plans such as a scan of every running run
 * to end 100 of them, which made a 100k broadcast's steps slower the more had entered.
 * A look samples a tenth of what autovacuum does (`LOOK_TARGET`).
 * One process at a time (the others skip); returns the tables analyzed.
 */
export async function analyzeGrownTables(db: Kysely<Database>): Promise<string[]> {
  return inTransaction(db, async (trx) => {
    const { rows: lock } = await sql<{ got: boolean }>`
      select pg_try_advisory_xact_lock(hashtext('waymark:analyze')) as got`.execute(trx);
    if (!lock[0]?.got) return [];
    const { rows } = await sql<{ name: string }>`
      select relname as name from pg_stat_user_tables
      where schemaname = current_schema() and relname = any(${FAST_GROWING}::text[])
        and n_mod_since_analyze > greatest(${MIN_CHANGES}::int, 0.2 * n_live_tup)
      order by relname`.execute(trx);
    if (rows.length) await sql`set local default_statistics_target = ${sql.lit(LOOK_TARGET)}`.execute(trx);
    for (const { name } of rows) await sql`analyze ${sql.table(name)}`.execute(trx);
    return rows.map((r) => r.name);
  });
}
