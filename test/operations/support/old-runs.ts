import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../engine/db/database.js';

const DAY = 24 * 60 * 60_000;

/** A timestamp `days` ago for a column with a default (Kysely's insert type names no value for one). */
export const daysAgo = (days: number) => sql`${new Date(Date.now() - days * DAY).toISOString()}::timestamptz` as never;

/**
 * A run of `journey` started and ended so many days ago (null: not ended) with `trigger` as its
 * payload and a completed step at each of `nodes`: what retention finds to clear.
 */
export async function insertOldRun(
  db: Kysely<Database>,
  journey: { journeyId: string; version: number },
  run: {
    status: 'completed' | 'failed' | 'waiting';
    startedDays: number;
    endedDays: number | null;
    trigger: object;
    nodes: string[];
  },
): Promise<string> {
  const r = await db
    .insertInto('runs')
    .values({
      journey_id: journey.journeyId,
      version: journey.version,
      contact_id: null,
      trigger: JSON.stringify(run.trigger),
      trigger_node_id: 't',
      status: run.status,
      started_at: daysAgo(run.startedDays),
      ended_at: run.endedDays === null ? null : daysAgo(run.endedDays),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('steps')
    .values(
      run.nodes.map((node_id) => ({
        run_id: r.id,
        journey_id: journey.journeyId,
        version: journey.version,
        node_id,
        status: 'completed' as const,
      })),
    )
    .execute();
  return r.id;
}
