import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/database.js';

export type EndStatus = 'exited' | 'failed' | 'completed';

/**
 * Ends live runs at once, in the caller's transaction (`waymark_end_runs`, defined once in
 * migrations/0012_kernel.ts): the runs take `status`, their open steps are cancelled (queued
 * jobs for them then do nothing; parked ones leave the waiting counters) and their waits are
 * dropped. `exceptStepId` keeps a step from being cancelled. Returns the ids of the runs it
 * ended.
 *
 * @example
 * await endRuns(trx, { runIds: [runId] }, 'exited');            // cancel
 * await endRuns(trx, { journeyId }, 'exited');                  // archive
 * await endRuns(trx, { contactId }, 'exited');                  // erase
 */
export async function endRuns(
  db: Kysely<Database>,
  which: { runIds?: readonly string[]; journeyId?: string; contactId?: string },
  status: EndStatus,
  options: { outcome?: string | null; exceptStepId?: string } = {},
): Promise<string[]> {
  if (which.runIds?.length === 0) return [];
  const filters: RawBuilder<unknown>[] = [sql`status in ('running', 'waiting')`];
  if (which.runIds) filters.push(sql`id = any(${[...which.runIds]}::uuid[])`);
  if (which.journeyId) filters.push(sql`journey_id = ${which.journeyId}`);
  if (which.contactId) filters.push(sql`contact_id = ${which.contactId}`);
  const except = options.exceptStepId ? [options.exceptStepId] : [];
  const { rows } = await sql<{ id: string }>`
    select waymark_end_runs(array(select id from runs where ${sql.join(filters, sql` and `)} order by id),
      ${status}::text, ${options.outcome ?? null}::text, ${except}::uuid[]) as id
  `.execute(db);
  return rows.map((r) => r.id);
}
