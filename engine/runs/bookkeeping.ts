import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/database.js';

/** graphile-worker's task name for a batch of step tokens (payload `[{ stepId, timeout? }]`). */
export const STEP_TASK = 'waymark.step';
/** Attempts graphile-worker itself makes when the task crashes (database gone, a bug); node retries are ours. */
export const JOB_MAX_ATTEMPTS = 10;
/** Steps of one node one job carries at most. */
export const STEP_BATCH_SIZE = 100;

/** A step to queue: its node (jobs batch steps of one node), when, and whether it is a wait's timeout. */
export interface StepJob {
  stepId: string;
  nodeId: string;
  runAt?: Date;
  /** The job releases an event wait whose deadline passed. */
  timeout?: boolean;
}

// What the live feed carries for each finished step, typed in live-types.ts (no runtime imports,
// so the editor reads it too).
export type { StepNotice } from './live-types.js';

/** The channel `waymark_notify_steps` (migrations/0049) sends step notices on while a process watches. */
export const STEPS_CHANNEL = 'waymark_steps';

/**
 * Immediate step jobs, in batches of one node (`waymark_queue_steps`), for every `id` and
 * `node_id` of `relation` (a CTE name or subquery), as a SELECT that yields a row only when it
 * queued something.
 */
export function queueJobsFor(relation: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    select waymark_queue_steps(json_agg(json_build_object('stepId', r.id, 'nodeId', r.node_id)), ${STEP_TASK}::text,
      ${JOB_MAX_ATTEMPTS}::smallint, ${STEP_BATCH_SIZE}::int)
    from ${relation} r
    having count(*) > 0`;
}

/**
 * Queues step jobs in the caller's transaction, in batches (`waymark_queue_steps`), so they
 * exist exactly when the transaction commits.
 */
export async function addStepJobs(db: Kysely<Database>, jobs: readonly StepJob[]): Promise<void> {
  if (jobs.length === 0) return;
  await sql`
    select waymark_queue_steps(${JSON.stringify(jobs)}::json, ${STEP_TASK}::text, ${JOB_MAX_ATTEMPTS}::smallint,
      ${STEP_BATCH_SIZE}::int)`.execute(db);
}
