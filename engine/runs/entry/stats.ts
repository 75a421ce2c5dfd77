import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';

/** `GET /api/journeys/:id/stats` `entries`: the journey's entries, whatever the version. */
export interface EntryStats {
  /** Runs that entered (their trigger step completed). */
  entered: number;
  /** Runs accepted and waiting for the entry rate to let them in. */
  queued: number;
  /** Entries turned away, by why. */
  skipped: { 'entry-cap': number; reentry: number };
}

/**
 * Counts a journey's entries: runs whose trigger step is still to complete are queued for the
 * entry rate (a trigger step is otherwise complete from the start), runs that ended with it
 * never completed (cancelled while queued) never entered, the rest entered; skips are summed
 * from their shards. Only ended runs that did not complete are looked into for the second, so
 * the count stays cheap on a journey of many completed runs.
 */
export async function entryStats(db: Kysely<Database>, journeyId: string): Promise<EntryStats> {
  const { rows } = await sql<{ runs: number; queued: number; never: number; capped: number; reentry: number }>`
    select (select count(*)::int from runs where journey_id = ${journeyId}::uuid) as runs,
      (select count(*)::int from runs r where r.journey_id = ${journeyId}::uuid and r.status = 'running'
        and exists (select 1 from steps s where s.run_id = r.id and s.node_id = r.trigger_node_id
          and s.parent_step_id is null and s.status in ('pending', 'running'))) as queued,
      (select count(*)::int from runs r where r.journey_id = ${journeyId}::uuid
        and r.status not in ('running', 'waiting', 'completed')
        and exists (select 1 from steps s where s.run_id = r.id and s.node_id = r.trigger_node_id
          and s.parent_step_id is null and s.status <> 'completed')) as never,
      (select coalesce(sum(skipped), 0)::int from journey_entry_skips
        where journey_id = ${journeyId}::uuid and reason = 'entry-cap') as capped,
      (select coalesce(sum(skipped), 0)::int from journey_entry_skips
        where journey_id = ${journeyId}::uuid and reason = 'reentry') as reentry`.execute(db);
  const row = rows[0] ?? { runs: 0, queued: 0, never: 0, capped: 0, reentry: 0 };
  return {
    entered: row.runs - row.queued - row.never,
    queued: row.queued,
    skipped: { 'entry-cap': row.capped, reentry: row.reentry },
  };
}
