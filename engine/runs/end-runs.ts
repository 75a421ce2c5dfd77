import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { counterShard } from './bookkeeping.js';

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
  if (which.runIds?.length === 0) return [];
  const filters: RawBuilder<unknown>[] = [];
  if (which.runIds) filters.push(sql`id = any(${[...which.runIds]}::uuid[])`);
  if (which.journeyId) filters.push(sql`journey_id = ${which.journeyId}`);
  if (which.contactId) filters.push(sql`contact_id = ${which.contactId}`);
  const parts = endRunsParts(filters, status, options);
  const { rows } = await sql<{ id: string }>`
    with ${sql.join(parts.map((p) => sql`${sql.raw(p.name)} as (${p.body})`))}
    select id from ended
  `.execute(db);
  return rows.map((r) => r.id);
}

/**
 * The CTEs that end the live runs matching every filter (`ended` holds their ids): the runs,
 * their open steps cancelled (parked tokens leave the "waiting" counters as they go) and their
 * waits dropped. Part of one statement, alone (`endRuns`) or with a step's own writes.
 */
export function endRunsParts(
  filters: readonly RawBuilder<unknown>[],
  status: EndStatus,
  options: { outcome?: string | null; exceptStepId?: string } = {},
): { name: string; body: RawBuilder<unknown>; isSelect: boolean }[] {
  const except = options.exceptStepId ?? null;
  const where = sql.join([sql`status in ('running', 'waiting')`, ...filters], sql` and `);
  return [
    {
      name: 'ended',
      isSelect: false,
      body: sql`
        update runs set status = ${status}, ended_at = now(), outcome = ${options.outcome ?? null},
          open_steps = 0, waiting_steps = 0,
          reentry_lock = case when reentry_lock = 'active' then null else reentry_lock end
        where ${where}
        returning id`,
    },
    {
      name: 'old',
      isSelect: false,
      body: sql`
        select s.id, s.status from steps s join ended e on e.id = s.run_id
        where s.status in ('pending', 'running', 'waiting') and (${except}::uuid is null or s.id <> ${except}::uuid)
        for update of s`,
    },
    {
      name: 'cancelled',
      isSelect: false,
      body: sql`
        update steps s set status = 'cancelled', finished_at = now()
        from old where s.id = old.id
        returning s.journey_id, s.version, s.node_id, old.status as was`,
    },
    {
      name: 'unparked',
      isSelect: false,
      body: sql`
        insert into node_counters (journey_id, version, node_id, output, shard, waiting)
        select journey_id, version, node_id, '', ${counterShard()}::int, -count(*) from cancelled where was = 'waiting'
        group by journey_id, version, node_id
        order by 1, 2, 3
        on conflict (journey_id, version, node_id, output, shard) do update set waiting = node_counters.waiting + excluded.waiting`,
    },
    { name: 'dropped', isSelect: false, body: sql`delete from waits w using ended e where w.run_id = e.id` },
  ];
}
