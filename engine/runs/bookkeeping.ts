import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';

/** graphile-worker's task name for one step of one token. */
export const STEP_TASK = 'waymark.step';
/** Attempts graphile-worker itself makes when the task crashes (database gone, a bug); node retries are ours. */
const JOB_MAX_ATTEMPTS = 10;
const SHARDS = 8;

export interface StepJob {
  stepId: string;
  runAt?: Date;
  /** The job releases an event wait whose deadline passed. */
  timeout?: boolean;
}

/**
 * Queues step jobs in the caller's transaction with one `graphile_worker.add_jobs` call,
 * so they exist exactly when the transaction commits.
 */
export async function addStepJobs(db: Kysely<Database>, jobs: readonly StepJob[]): Promise<void> {
  if (jobs.length === 0) return;
  const specs = jobs.map((j) => ({
    payload: j.timeout ? { stepId: j.stepId, timeout: true } : { stepId: j.stepId },
    runAt: j.runAt ? j.runAt.toISOString() : null,
  }));
  await sql`
    select 1 from graphile_worker.add_jobs(array(
      select row(${STEP_TASK}::text, s.payload, null::text, s."runAt", ${JOB_MAX_ATTEMPTS}::smallint,
        null::text, null::smallint, null::text[])::graphile_worker.job_spec
      from json_to_recordset(${JSON.stringify(specs)}::json) as s(payload json, "runAt" timestamptz)
    ))
  `.execute(db);
}

/** Changes to one node's counters (and one of its outputs when `output` is set). */
export interface CounterDelta {
  journeyId: string;
  version: number;
  nodeId: string;
  output?: string;
  entered?: number;
  completed?: number;
  failed?: number;
  waiting?: number;
  taken?: number;
}

/** Adds to the sharded per-node counters in one statement. */
export async function bumpCounters(db: Kysely<Database>, deltas: readonly CounterDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  const merged = new Map<string, Required<CounterDelta>>();
  for (const d of deltas) {
    const key = `${d.journeyId}\u0000${d.version}\u0000${d.nodeId}\u0000${d.output ?? ''}`;
    const row = merged.get(key) ?? {
      journeyId: d.journeyId,
      version: d.version,
      nodeId: d.nodeId,
      output: d.output ?? '',
      entered: 0,
      completed: 0,
      failed: 0,
      waiting: 0,
      taken: 0,
    };
    row.entered += d.entered ?? 0;
    row.completed += d.completed ?? 0;
    row.failed += d.failed ?? 0;
    row.waiting += d.waiting ?? 0;
    row.taken += d.taken ?? 0;
    merged.set(key, row);
  }
  // One random shard per statement: concurrent steps of a busy node rarely meet on a row.
  const shard = Math.floor(Math.random() * SHARDS);
  await sql`
    insert into node_counters (journey_id, version, node_id, output, shard, entered, completed, failed, waiting, taken)
    select d."journeyId", d.version, d."nodeId", d.output, ${shard}, d.entered, d.completed, d.failed, d.waiting, d.taken
    from json_to_recordset(${JSON.stringify([...merged.values()])}::json) as d(
      "journeyId" uuid, version int, "nodeId" text, output text,
      entered bigint, completed bigint, failed bigint, waiting bigint, taken bigint)
    order by 1, 2, 3, 4
    on conflict (journey_id, version, node_id, output, shard) do update set
      entered = node_counters.entered + excluded.entered,
      completed = node_counters.completed + excluded.completed,
      failed = node_counters.failed + excluded.failed,
      waiting = node_counters.waiting + excluded.waiting,
      taken = node_counters.taken + excluded.taken
  `.execute(db);
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

/** NOTIFYs each finished step on `waymark_steps`; delivered when the transaction commits. */
export async function notifySteps(db: Kysely<Database>, notices: readonly StepNotice[]): Promise<void> {
  if (notices.length === 0) return;
  await sql`
    select pg_notify(${STEPS_CHANNEL}, n::text)
    from json_array_elements(${JSON.stringify(notices)}::json) as n
  `.execute(db);
}

/**
 * Moves a run's token counts and derives its status: no open step left → completed,
 * every open step parked → waiting, else running. Ended runs are left alone.
 */
export async function adjustRun(db: Kysely<Database>, runId: string, open: number, waiting: number): Promise<void> {
  await sql`
    update runs set
      open_steps = open_steps + ${open},
      waiting_steps = waiting_steps + ${waiting},
      status = case
        when open_steps + ${open} <= 0 then 'completed'
        when open_steps + ${open} = waiting_steps + ${waiting} then 'waiting'
        else 'running' end,
      ended_at = case when open_steps + ${open} <= 0 then now() else null end,
      reentry_lock = case when open_steps + ${open} <= 0 and reentry_lock = 'active' then null else reentry_lock end
    where id = ${runId} and status in ('running', 'waiting')
  `.execute(db);
}
