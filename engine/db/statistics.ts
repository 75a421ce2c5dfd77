import { type Kysely, sql } from 'kysely';
import type { Database } from './database.js';
import { inTransaction } from './transaction.js';

/** The tables a broadcast, an import or a busy journey can grow many times over in seconds. */
const FAST_GROWING = ['runs', 'steps', 'waits', 'messages', 'events', 'contacts', 'node_counters', 'journey_rollups'];

// Rows changed before a small table is analyzed. A table grown from nothing has no statistics
// at all: the webhook intake's generic plan then looked contacts up by email through the
// external-id index (both start with the workspace), reading all of them for each group.
const MIN_CHANGES = 1000;

/**
 * Analyzes the fast-growing tables that changed by a fifth since their last analyze.
 * Autovacuum looks once a minute; until then the planner sees the table as it was (a
 * broadcast's first 100k runs as none), and picks plans such as a scan of every running run
 * to end 100 of them, which made a 100k broadcast's steps slower the more had entered.
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
    for (const { name } of rows) await sql`analyze ${sql.table(name)}`.execute(trx);
    return rows.map((r) => r.name);
  });
}
