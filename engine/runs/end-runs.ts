import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { bumpCounters } from './bookkeeping.js';

export type EndStatus = 'exited' | 'failed' | 'completed';

/**
 * Ends live runs at once, in the caller's transaction: the runs take `status`, their open
 * steps are cancelled (queued jobs for them then do nothing) and their waits are dropped.
 * `exceptStepId` keeps the step that ends the run (it records its own result). Returns the
 * ids of the runs it ended.
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
  let query = db
    .updateTable('runs')
    .set({
      status,
      ended_at: sql`now()`,
      outcome: options.outcome ?? null,
      open_steps: 0,
      waiting_steps: 0,
      reentry_lock: sql`case when reentry_lock = 'active' then null else reentry_lock end`,
    })
    .where('status', 'in', ['running', 'waiting']);
  if (which.runIds) {
    if (which.runIds.length === 0) return [];
    query = query.where('id', 'in', which.runIds);
  }
  if (which.journeyId) query = query.where('journey_id', '=', which.journeyId);
  if (which.contactId) query = query.where('contact_id', '=', which.contactId);
  const ended = (await query.returning('id').execute()).map((r) => r.id);
  if (ended.length === 0) return [];
  const except = options.exceptStepId ?? null;
  // Parked tokens leave the "waiting" counters as they are cancelled.
  const parked = await sql<{ journey_id: string; version: number; node_id: string; n: number }>`
    with old as (
      select id, status from steps
      where run_id = any(${ended}::uuid[]) and status in ('pending', 'running', 'waiting')
        and (${except}::uuid is null or id <> ${except}::uuid)
      for update
    ), cancelled as (
      update steps s set status = 'cancelled', finished_at = now()
      from old where s.id = old.id
      returning s.journey_id, s.version, s.node_id, old.status as was
    )
    select journey_id, version, node_id, count(*)::int as n from cancelled where was = 'waiting'
    group by journey_id, version, node_id
  `.execute(db);
  await bumpCounters(
    db,
    parked.rows.map((r) => ({ journeyId: r.journey_id, version: r.version, nodeId: r.node_id, waiting: -r.n })),
  );
  await db.deleteFrom('waits').where('run_id', 'in', ended).execute();
  return ended;
}
