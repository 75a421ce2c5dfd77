import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { dictionary } from '../graph/dictionary.js';
import type { JourneyStats } from './stats-types.js';

/**
 * Sums the sharded node counters of one version (every version when `version` is omitted).
 * Reads at most (nodes × outputs × shards) rows, whatever the number of steps.
 *
 * @example
 * await journeyStats(db, journeyId, 3) // { nodes: { n1: { entered: 10, … } }, outputs: { n2: { yes: 4, no: 6 } } }
 */
export async function journeyStats(db: Kysely<Database>, journeyId: string, version?: number): Promise<JourneyStats> {
  const { rows } = await sql<{
    node_id: string;
    output: string;
    entered: number;
    completed: number;
    failed: number;
    waiting: number;
    taken: number;
  }>`
    select node_id, output, sum(entered)::bigint as entered, sum(completed)::bigint as completed,
      sum(failed)::bigint as failed, sum(waiting)::bigint as waiting, sum(taken)::bigint as taken
    from node_counters
    where journey_id = ${journeyId} and (${version ?? null}::int is null or version = ${version ?? null}::int)
    group by node_id, output
  `.execute(db);
  // Keyed by node ids and output keys, which the journey's author names (`__proto__` too).
  const stats: JourneyStats = { nodes: dictionary(), outputs: dictionary() };
  for (const row of rows) {
    if (row.output === '') {
      stats.nodes[row.node_id] = {
        entered: Number(row.entered),
        completed: Number(row.completed),
        failed: Number(row.failed),
        waiting: Math.max(0, Number(row.waiting)),
      };
    } else {
      stats.outputs[row.node_id] ??= dictionary();
      (stats.outputs[row.node_id] as Record<string, number>)[row.output] = Number(row.taken);
    }
  }
  return stats;
}
