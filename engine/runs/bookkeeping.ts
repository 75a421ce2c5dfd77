import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/database.js';

/** graphile-worker's task name for one step of one token. */
export const STEP_TASK = 'waymark.step';
/** Attempts graphile-worker itself makes when the task crashes (database gone, a bug); node retries are ours. */
export const JOB_MAX_ATTEMPTS = 10;

export interface StepJob {
  stepId: string;
  runAt?: Date;
  /** The job releases an event wait whose deadline passed. */
  timeout?: boolean;
}

/** What the live feed carries for each finished step. */
export interface StepNotice {
  journeyId: string;
  version: number;
  runId: string;
  nodeId: string;
  status: 'completed' | 'failed' | 'waiting';
}

export const STEPS_CHANNEL = 'waymark_steps';

/** `graphile_worker.add_jobs` for step jobs, as a SELECT (it NOTIFYs the workers). */
function jobsSql(jobs: readonly StepJob[], guard: RawBuilder<unknown> = sql`true`): RawBuilder<unknown> {
  const specs = jobs.map((j) => ({
    payload: j.timeout ? { stepId: j.stepId, timeout: true } : { stepId: j.stepId },
    runAt: j.runAt ? j.runAt.toISOString() : null,
  }));
  return sql`
    select 1 from graphile_worker.add_jobs(array(
      select row(${STEP_TASK}::text, s.payload, null::text, s."runAt", ${JOB_MAX_ATTEMPTS}::smallint,
        null::text, null::smallint, null::text[])::graphile_worker.job_spec
      from json_to_recordset(${JSON.stringify(specs)}::json) as s(payload json, "runAt" timestamptz)
    ))
    where ${guard}`;
}

/** The ON CONFLICT clause of an insert into node_counters that adds to the row already there. */
export const ADD_TO_COUNTERS = sql`
  on conflict (journey_id, version, node_id, output, shard) do update set
    entered = node_counters.entered + excluded.entered,
    completed = node_counters.completed + excluded.completed,
    failed = node_counters.failed + excluded.failed,
    waiting = node_counters.waiting + excluded.waiting,
    taken = node_counters.taken + excluded.taken`;

/**
 * `graphile_worker.add_jobs` with one immediate step job per `id` of `relation` (a CTE name or
 * subquery), as a SELECT that yields a row only when it queued something.
 */
export function queueJobsFor(relation: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    select 1 from graphile_worker.add_jobs(array(
      select row(${STEP_TASK}::text, json_build_object('stepId', r.id), null::text, null::timestamptz,
        ${JOB_MAX_ATTEMPTS}::smallint, null::text, null::smallint, null::text[])::graphile_worker.job_spec
      from ${relation} r
    ))
    where exists (select 1 from ${relation} r)`;
}

/**
 * Queues step jobs in the caller's transaction with one `graphile_worker.add_jobs` call,
 * so they exist exactly when the transaction commits.
 */
export async function addStepJobs(db: Kysely<Database>, jobs: readonly StepJob[]): Promise<void> {
  if (jobs.length) await jobsSql(jobs).execute(db);
}
