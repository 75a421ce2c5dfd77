import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';

/** The channel on which processes learn that a journey was published, paused, resumed or archived. */
export const JOURNEYS_CHANNEL = 'waymark_journeys';

/**
 * Tells every process (webhook caches, trigger schedulers) that a journey changed. Call it
 * inside the transaction that changes the journey: PostgreSQL delivers the notice on commit
 * and drops it on rollback.
 */
export async function notifyJourneyChanged(db: Kysely<Database>, journeyId: string): Promise<void> {
  await sql`select pg_notify(${JOURNEYS_CHANNEL}, ${JSON.stringify({ journeyId })})`.execute(db);
}
