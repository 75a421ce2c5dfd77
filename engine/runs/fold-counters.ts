import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { ADD_TO_COUNTERS } from './bookkeeping.js';

/** Rows one fold moves at most. */
export const FOLD_BATCH = 50_000;

/**
 * Gathers the counter rows that steps scattered over random shards into shard 0, so the
 * table stays (nodes × outputs) rows plus what arrived since the last fold. Rows another
 * fold holds are skipped. Returns how many rows were folded.
 */
export async function foldCounters(db: Kysely<Database>, limit = FOLD_BATCH): Promise<number> {
  const { rows } = await sql<{ folded: number }>`
    with moved as (
      delete from node_counters
      where ctid = any(array(select ctid from node_counters where shard <> 0 limit ${limit} for update skip locked))
      returning *
    ), summed as (
      insert into node_counters (journey_id, version, node_id, output, shard, entered, completed, failed, waiting, taken)
      select journey_id, version, node_id, output, 0, sum(entered), sum(completed), sum(failed), sum(waiting), sum(taken)
      from moved group by 1, 2, 3, 4
      order by 1, 2, 3, 4
      ${ADD_TO_COUNTERS}
      returning 1
    )
    select (select count(*) from moved)::int as folded, (select count(*) from summed) as written
  `.execute(db);
  return rows[0]?.folded ?? 0;
}

/** As `foldCounters`, for the hourly rollups that messages, splits and goals scatter over shards. */
export async function foldRollups(db: Kysely<Database>, limit = FOLD_BATCH): Promise<number> {
  const { rows } = await sql<{ folded: number }>`
    with moved as (
      delete from journey_rollups
      where ctid = any(array(select ctid from journey_rollups where shard <> 0 limit ${limit} for update skip locked))
      returning *
    ), summed as (
      insert into journey_rollups (workspace_id, journey_id, version, node_id, output, variant, hour, metric, shard, n)
      select workspace_id, journey_id, version, node_id, output, variant, hour, metric, 0, sum(n)
      from moved group by 1, 2, 3, 4, 5, 6, 7, 8
      order by 2, 7, 3, 4, 5, 6, 8
      on conflict (journey_id, hour, version, node_id, output, variant, metric, shard) do update set
        n = journey_rollups.n + excluded.n
      returning 1
    )
    select (select count(*) from moved)::int as folded, (select count(*) from summed) as written
  `.execute(db);
  return rows[0]?.folded ?? 0;
}
