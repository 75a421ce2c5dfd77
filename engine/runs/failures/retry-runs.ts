import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { JOB_MAX_ATTEMPTS, STEP_BATCH_SIZE, STEP_TASK } from '../bookkeeping.js';
import { retryable } from './retryable.js';

/**
 * Retries failed runs in the caller's transaction, set-based (one run or thousands cost the
 * same few statements): each run still `retryable` (locked in id order; others are left alone)
 * gets a new step at its failed node — child of the failed step, under the failed step's
 * idempotency key, attempts from 1 — and the tokens its failure cancelled pending again;
 * the run is `running` with `failure` and `endedAt` cleared, on `version` when given (a
 * run whose failed node that version lacks is left failed). Under re-entry "once at a time"
 * the run takes the contact's re-entry lock again: a run whose contact is in another live
 * run of the journey is left failed (as is all but the first of one contact's runs). Jobs,
 * counters and a live-feed notice (`retried`) per retried step go with it. Returns the runs
 * retried.
 *
 * @example
 * const retried = await retryRuns(trx, [runId]);
 */
export async function retryRuns(trx: Kysely<Database>, runIds: readonly string[], version?: number): Promise<string[]> {
  if (runIds.length === 0) return [];
  // A run starting for the same contact as the statement runs wins the re-entry lock: the
  // statement fails on runs_reentry once that run commits, and looks again (it then skips).
  for (let attempt = 1; ; attempt++) {
    await sql`savepoint waymark_retry`.execute(trx);
    try {
      const retried = await retryOnce(trx, runIds, version);
      await sql`release savepoint waymark_retry`.execute(trx);
      return retried;
    } catch (error) {
      await sql`rollback to savepoint waymark_retry`.execute(trx);
      const lost = (error as { constraint?: string }).constraint === 'runs_reentry';
      if (!lost || attempt >= 3) throw error;
    }
  }
}

async function retryOnce(trx: Kysely<Database>, runIds: readonly string[], version?: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    with locked as (
      select r.id, r.journey_id, r.version, r.failure, r.contact_id, coalesce(${version ?? null}::int, r.version) as target
      from runs r
      where r.id = any(${[...runIds]}::uuid[]) and ${retryable}
      order by r.id
      for update of r
    ), placed as (
      -- A run moves only onto a version that has its failed node.
      select l.*, v.settings ->> 'reentry' = 'once-at-a-time' and l.contact_id is not null as takes_lock
      from locked l
      join journey_versions v on v.journey_id = l.journey_id and v.version = l.target
      where v.graph -> 'nodes' @> jsonb_build_array(jsonb_build_object('id', l.failure ->> 'nodeId'))
    ), movable as (
      -- Once at a time: one run per contact, and none while the contact is in another live run.
      select distinct on (p.journey_id, case when p.takes_lock then p.contact_id::text else p.id::text end) p.*
      from placed p
      where not (p.takes_lock and exists (select 1 from runs o
        where o.journey_id = p.journey_id and o.contact_id = p.contact_id and o.reentry_lock = 'active'))
      order by p.journey_id, case when p.takes_lock then p.contact_id::text else p.id::text end, p.id
    ), failed_step as (
      select distinct on (s.run_id) s.id, s.run_id, s.journey_id, s.node_id, coalesce(s.idempotency_key, s.id) as key
      from steps s join movable m on m.id = s.run_id
      where s.status = 'failed' and s.node_id = m.failure ->> 'nodeId'
      order by s.run_id, s.seq desc
    ), retried as (
      insert into steps (run_id, journey_id, version, node_id, parent_step_id, idempotency_key)
      select f.run_id, f.journey_id, m.target, f.node_id, f.id, f.key
      from failed_step f join movable m on m.id = f.run_id
      order by f.run_id
      on conflict (parent_step_id, node_id) where parent_step_id is not null do nothing
      returning id, run_id, journey_id, version, node_id
    ), resumed as (
      -- The tokens the failure cancelled (in its transaction, so at its time) go on from their node.
      update steps s set status = 'pending', finished_at = null, version = m.target, attempts = 0, resume = null
      from movable m
      where s.run_id = m.id and s.status = 'cancelled'
        and s.finished_at = (m.failure ->> 'at')::timestamptz
        and m.id in (select run_id from retried)
        and exists (select 1 from journey_versions v where v.journey_id = m.journey_id and v.version = m.target
          and v.graph -> 'nodes' @> jsonb_build_array(jsonb_build_object('id', s.node_id)))
      returning s.id, s.run_id, s.journey_id, s.version, s.node_id
    ), going as (
      select * from retried union all select * from resumed
    ), moved as (
      update runs r set status = 'running', ended_at = null, failure = null, version = m.target, waiting_steps = 0,
        open_steps = (select count(*) from going g where g.run_id = r.id),
        reentry_lock = case when m.takes_lock then 'active' else r.reentry_lock end
      from movable m
      where r.id = m.id and m.id in (select run_id from retried)
      returning r.id
    ), queued as (
      select waymark_queue_steps(json_agg(json_build_object('stepId', g.id, 'nodeId', g.node_id)), ${STEP_TASK}::text,
        ${JOB_MAX_ATTEMPTS}::smallint, ${STEP_BATCH_SIZE}::int)
      from going g having count(*) > 0
    ), counted as (
      select waymark_add_counters(json_agg(json_build_object('journeyId', g.journey_id, 'version', g.version,
        'nodeId', g.node_id, 'entered', 1)))
      from going g having count(*) > 0
    ), notified as (
      -- The live feed shows the failed step's node taken up again (API.md "Live feed").
      select waymark_notify_steps(json_agg(json_build_object('journeyId', g.journey_id, 'version', g.version,
        'runId', g.run_id, 'nodeId', g.node_id, 'status', 'retried')))
      from retried g where waymark_live_watched()
    )
    select id, (select count(*) from queued) as q, (select count(*) from counted) as c,
      (select count(*) from notified) as n from moved
  `.execute(trx);
  return rows.map((r) => r.id);
}
