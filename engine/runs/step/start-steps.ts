import type { JsonObject, Resume } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { ASYNC_COMMIT } from '../../db/commit-mode.js';
import type { Database } from '../../db/database.js';

/** A step a batch may run now, with its run. */
export interface StartedStep {
  id: string;
  run_id: string;
  journey_id: string;
  version: number;
  node_id: string;
  parent_step_id: string | null;
  attempts: number;
  resume: Resume | null;
  idempotency_key: string | null;
  /** The due time of the wait it parked in before, if it did. */
  wake_at: Date | null;
  workspace_id: string;
  contact_id: string | null;
  trigger: JsonObject;
  trigger_node_id: string;
  run_started_at: Date;
  /** The trace context the run was started in (`traceparent`, `tracestate`), if traced. */
  trace_context: unknown;
}

/**
 * Marks the steps running (attempt + 1) that may run now — queued, interrupted by a crash,
 * or parked with a resume set — in ONE statement: parked ones leave the waiting counts, and
 * each comes back with its run for `ctx`. Steps finished,
 * cancelled or still parked are left out. Committed asynchronously: if the marks are lost
 * in a crash, the job (completed only after them, with a synchronous commit) runs again.
 */
export async function startSteps(db: Kysely<Database>, stepIds: readonly string[]): Promise<StartedStep[]> {
  if (stepIds.length === 0) return [];
  const { rows } = await sql<StartedStep>`
    with commit_mode as (select ${ASYNC_COMMIT}),
    prev as (select id, status from steps where id = any(${[...stepIds]}::uuid[]) order by id for update),
    started as (
      update steps s set status = 'running', attempts = s.attempts + 1, started_at = coalesce(s.started_at, now())
      from prev
      where s.id = prev.id
        and (prev.status in ('pending', 'running') or (prev.status = 'waiting' and s.resume is not null))
      returning s.*, prev.status as was
    ),
    unparked as (
      select waymark_move_runs(json_agg(json_build_object('runId', run_id, 'open', 0, 'waiting', -1))),
        waymark_add_counters(json_agg(json_build_object('journeyId', journey_id, 'version', version,
          'nodeId', node_id, 'waiting', -1)))
      from started where was = 'waiting'
      having count(*) > 0
    )
    select st.id, st.run_id, st.journey_id, st.version, st.node_id, st.parent_step_id, st.attempts, st.resume,
      st.idempotency_key, st.wake_at,
      r.workspace_id, r.contact_id, r.trigger, r.trigger_node_id, r.started_at as run_started_at, r.trace_context,
      (select count(*) from commit_mode) as mode, (select count(*) from unparked) as unparked
    from started st join runs r on r.id = st.run_id
  `.execute(db);
  return rows;
}

/**
 * Event waits whose deadline passed: each resumes with `timeout` unless an event got there
 * first (whoever sets `resume` first wins), and its wait row goes. Returns the steps claimed.
 */
export async function claimTimeouts(db: Kysely<Database>, stepIds: readonly string[]): Promise<string[]> {
  if (stepIds.length === 0) return [];
  const { rows } = await sql<{ id: string }>`
    with claimed as (
      update steps set resume = '{"kind":"timeout"}'::jsonb
      where id = any(${[...stepIds]}::uuid[]) and status = 'waiting' and resume is null
      returning id
    ), dropped as (delete from waits w using claimed c where w.step_id = c.id)
    select id from claimed
  `.execute(db);
  return rows.map((r) => r.id);
}
