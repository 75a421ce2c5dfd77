import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';

/** Rows one fold moves at most. */
export const FOLD_BATCH = 50_000;

/** A table whose writers add to their connection's shard of a key (0042), so no two wait on one hot row. */
interface ShardedTable {
  table: 'node_counters' | 'journey_rollups';
  /** The unique key without `shard`, in its index's order (writers lock rows in this order too). */
  key: readonly string[];
  /** Columns that follow the key and are carried along. */
  carried: readonly string[];
  /** The figures summed. */
  sums: readonly string[];
}

const NODE_COUNTERS: ShardedTable = {
  table: 'node_counters',
  key: ['journey_id', 'version', 'node_id', 'output'],
  carried: [],
  sums: ['entered', 'completed', 'failed', 'waiting', 'taken'],
};

const JOURNEY_ROLLUPS: ShardedTable = {
  table: 'journey_rollups',
  key: ['journey_id', 'hour', 'version', 'node_id', 'output', 'variant', 'metric'],
  carried: ['workspace_id'],
  sums: ['n'],
};

/**
 * Gathers the rows that writers scattered over their shards into shard 0, so the table stays
 * one row per key plus what arrived since the last fold. Rows another fold holds are skipped.
 * Returns how many rows were folded.
 */
async function foldShards(db: Kysely<Database>, { table, key, carried, sums }: ShardedTable, limit: number) {
  const ref = (columns: readonly string[]) => sql.join(columns.map((c) => sql.ref(c)));
  const grouped = [...key, ...carried];
  const { rows } = await sql<{ folded: number }>`
    with moved as (
      delete from ${sql.table(table)}
      where ctid = any(array(select ctid from ${sql.table(table)} where shard <> 0 limit ${limit} for update skip locked))
      returning *
    ), summed as (
      insert into ${sql.table(table)} (${ref(grouped)}, shard, ${ref(sums)})
      select ${ref(grouped)}, 0, ${sql.join(sums.map((c) => sql`sum(${sql.ref(c)})`))}
      from moved group by ${ref(grouped)}
      order by ${ref(key)}
      on conflict (${ref(key)}, shard) do update set
        ${sql.join(sums.map((c) => sql`${sql.ref(c)} = ${sql.ref(`${table}.${c}`)} + ${sql.ref(`excluded.${c}`)}`))}
      returning 1
    )
    select (select count(*) from moved)::int as folded, (select count(*) from summed) as written
  `.execute(db);
  return rows[0]?.folded ?? 0;
}

/** Folds the node counters that step writes scatter over shards. */
export function foldCounters(db: Kysely<Database>, limit = FOLD_BATCH): Promise<number> {
  return foldShards(db, NODE_COUNTERS, limit);
}

/** Folds the hourly rollups that steps, messages, splits and goals scatter over shards. */
export function foldRollups(db: Kysely<Database>, limit = FOLD_BATCH): Promise<number> {
  return foldShards(db, JOURNEY_ROLLUPS, limit);
}
