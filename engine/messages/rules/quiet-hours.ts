import { inDailyWindow, nextWallClockTime } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { JOB_MAX_ATTEMPTS, STEP_BATCH_SIZE, STEP_TASK } from '../../runs/bookkeeping.js';
import { lockRuns } from '../../runs/end-runs.js';
import type { ContactRules } from './contact-rules.js';

/**
 * When the quiet hours that hold a marketing message due at `now` end, for a contact in
 * `zone`; null when `now` is outside them. The one release-time rule: a send decides with
 * it (`judge`), and a change of the rules re-times the messages it already delayed with it.
 */
export function quietHoursEnd(rules: ContactRules, now: Date, zone: string): Date | null {
  const quiet = rules.quietHours;
  if (!quiet || !inDailyWindow(now, quiet.start, quiet.end, zone)) return null;
  return nextWallClockTime(now, quiet.end, zone);
}

/**
 * Re-times the workspace's messages delayed by quiet hours to what `rules` say at `now`: the
 * end of the new quiet hours, or `now` when they no longer hold the message. Runs in the
 * caller's transaction (the one that stores the rules), so no send sees new rules with old
 * times. A message due earlier wakes its step at the new time; one due later keeps its job,
 * whose step then finds the message still delayed and parks again until the new time.
 */
export async function retimeQuietHours(
  trx: Kysely<Database>,
  workspaceId: string,
  rules: ContactRules,
  now: Date,
): Promise<void> {
  // The messages' runs first, as every writer of a run's steps locks them (lockRuns): the
  // steps re-timed below are of those runs, which an archive or a cancel ends meanwhile.
  const held = await sql<{ run_id: string }>`
    select distinct run_id from messages
    where workspace_id = ${workspaceId} and status = 'delayed' and reason = 'quiet-hours' and run_id is not null`.execute(
    trx,
  );
  await lockRuns(
    trx,
    held.rows.map((r) => r.run_id),
  );
  // The release time depends only on the contact's zone: computed once per zone, then set by one statement.
  const { rows } = await sql<{ zone: string }>`
    select distinct coalesce(c.timezone, 'UTC') as zone
    from messages m join contacts c on c.id = m.contact_id
    where m.workspace_id = ${workspaceId} and m.status = 'delayed' and m.reason = 'quiet-hours'`.execute(trx);
  if (rows.length === 0) return;
  const zones = rows.map((r) => r.zone);
  const ends = zones.map((zone) => quietHoursEnd(rules, now, zone) ?? now);
  await sql`
    with zone_ends as (
      select * from unnest(${zones}::text[], ${ends}::timestamptz[]) as z(zone, release_at)
    ), held as (
      select m.id, m.run_id, m.node_id, m.idempotency_key, m.delayed_until as was, z.release_at
      from messages m
        join contacts c on c.id = m.contact_id
        join zone_ends z on z.zone = coalesce(c.timezone, 'UTC')
      where m.workspace_id = ${workspaceId} and m.status = 'delayed' and m.reason = 'quiet-hours'
        and m.delayed_until is distinct from z.release_at
      for update of m
    ), moved as (
      update messages m set delayed_until = h.release_at from held h where m.id = h.id
    ), parked as (
      update steps s set wake_at = h.release_at
      from held h
      where s.run_id = h.run_id and s.node_id = h.node_id and s.status = 'waiting'
        and coalesce(s.idempotency_key, s.id)::text = h.idempotency_key
      returning s.id, s.node_id, h.release_at, h.was
    )
    select waymark_queue_steps(
      json_agg(json_build_object('stepId', p.id, 'nodeId', p.node_id, 'runAt', p.release_at)),
      ${STEP_TASK}::text, ${JOB_MAX_ATTEMPTS}::smallint, ${STEP_BATCH_SIZE}::int)
    from parked p where p.was is null or p.release_at < p.was
    having count(*) > 0`.execute(trx);
}
