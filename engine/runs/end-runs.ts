import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/database.js';

export type EndStatus = 'exited' | 'failed' | 'completed';

/**
 * Ends live runs at once, in the caller's transaction (`waymark_end_runs`, defined once in
 * migrations/0012_kernel.ts): the runs take `status`, their open steps are cancelled (queued
 * jobs for them then do nothing; parked ones leave the waiting counters), the messages of those
 * steps not sent yet fail, saying why (`waymark_release_held_messages`, migrations 0057 and
 * 0061), and their waits are dropped. `exceptStepId` keeps a step from being cancelled.
 * Returns the ids of the runs it ended.
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

/**
 * Locks runs before their steps, waits or token counts are written, in the one order every
 * writer of a run's rows keeps (the step writer since migrations/0068, `waymark_end_runs`):
 * the run first, runs in id order. Taken for no key update, as a count's update takes them: a
 * send's key-share lock (`endedRunsAmong`) passes, an ending run's update lock waits.
 *
 * @example
 * await lockRuns(trx, waits.map((w) => w.run_id)); // then resume the waits' steps
 */
export async function lockRuns(trx: Kysely<Database>, runIds: readonly string[]): Promise<void> {
  if (runIds.length === 0) return;
  await sql`select 1 from runs where id = any(${[...new Set(runIds)]}::uuid[]) order by id for no key update`.execute(
    trx,
  );
}

/**
 * The runs among `runIds` that have ended, read under a lock that holds off their end until
 * the caller's transaction is over: `waymark_end_runs` takes them FOR UPDATE, which waits for
 * FOR KEY SHARE, while the writer's token counts (no key update) move freely. A send decides
 * and hands over under it, so a run that ends meanwhile waits for the hand-over in flight,
 * and one that ended first lets nothing out: its messages not yet sent were ended with it.
 */
export async function endedRunsAmong(trx: Kysely<Database>, runIds: readonly string[]): Promise<Set<string>> {
  if (runIds.length === 0) return new Set();
  const { rows } = await sql<{ id: string; status: string }>`
    select id, status from runs where id = any(${[...new Set(runIds)]}::uuid[]) order by id for key share`.execute(trx);
  return new Set(rows.filter((r) => r.status !== 'running' && r.status !== 'waiting').map((r) => r.id));
}
