import { type Kysely, type RawBuilder, sql } from 'kysely';
import { ASYNC_COMMIT } from '../db/commit-mode.js';
import type { Database } from '../db/database.js';
import type { CounterDelta as NodeCounterDelta } from './kernel/decide.js';

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

/** Changes to one node's counters, with the journey version the node belongs to. */
export interface CounterDelta extends NodeCounterDelta {
  journeyId: string;
  version: number;
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

/**
 * A random shard in 1‥32767 for a transaction's counter rows: concurrent transactions then
 * (almost) never wait for each other on a hot node's row. `foldCounters` gathers the shards
 * into shard 0 in the background; readers sum every shard.
 */
export function counterShard(): number {
  return 1 + Math.floor(Math.random() * 32_767);
}

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

/** An upsert adding the merged deltas to one random shard of the per-node counters. */
function countersSql(deltas: readonly CounterDelta[], guard: RawBuilder<unknown> = sql`true`): RawBuilder<unknown> {
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
  return sql`
    insert into node_counters (journey_id, version, node_id, output, shard, entered, completed, failed, waiting, taken)
    select d."journeyId", d.version, d."nodeId", d.output, ${counterShard()}::int, d.entered, d.completed, d.failed, d.waiting, d.taken
    from json_to_recordset(${JSON.stringify([...merged.values()])}::json) as d(
      "journeyId" uuid, version int, "nodeId" text, output text,
      entered bigint, completed bigint, failed bigint, waiting bigint, taken bigint)
    where ${guard}
    order by 1, 2, 3, 4
    ${ADD_TO_COUNTERS}`;
}

/** NOTIFYs each notice on `waymark_steps`, as a SELECT; delivered when the transaction commits. */
function noticesSql(notices: readonly StepNotice[], guard: RawBuilder<unknown> = sql`true`): RawBuilder<unknown> {
  return sql`
    select pg_notify(${STEPS_CHANNEL}, n::text)
    from json_array_elements(${JSON.stringify(notices)}::json) as n where ${guard}`;
}

/**
 * Moves a run's token counts and derives its status: no open step left → completed,
 * every open step parked → waiting, else running. Ended runs are left alone.
 */
function adjustRunSql(
  runId: string,
  open: number | RawBuilder<number>,
  waiting: number,
  guard: RawBuilder<unknown> = sql`true`,
): RawBuilder<unknown> {
  return sql`
    update runs set
      open_steps = open_steps + ${open},
      waiting_steps = waiting_steps + ${waiting},
      status = case
        when open_steps + ${open} <= 0 then 'completed'
        when open_steps + ${open} = waiting_steps + ${waiting} then 'waiting'
        else 'running' end,
      ended_at = case when open_steps + ${open} <= 0 then now() else null end,
      reentry_lock = case when open_steps + ${open} <= 0 and reentry_lock = 'active' then null else reentry_lock end
    where id = ${runId} and status in ('running', 'waiting') and ${guard}`;
}

/**
 * Queues step jobs in the caller's transaction with one `graphile_worker.add_jobs` call,
 * so they exist exactly when the transaction commits.
 */
export async function addStepJobs(db: Kysely<Database>, jobs: readonly StepJob[]): Promise<void> {
  if (jobs.length) await jobsSql(jobs).execute(db);
}

/** Everything a transaction's steps changed besides the steps themselves. */
export interface Bookkeeping {
  counters: readonly CounterDelta[];
  jobs: readonly StepJob[];
  notices: readonly StepNotice[];
  run?: { id: string; open: number | RawBuilder<number>; waiting: number };
  /** CTEs (`name as (…)`) written before the bookkeeping, in the same statement. */
  before?: readonly { name: string; body: RawBuilder<unknown>; isSelect: boolean }[];
  /** A condition every part of the bookkeeping is written under (e.g. that a step settled). */
  guard?: RawBuilder<unknown>;
  /** Commit the caller's transaction with synchronous_commit off (see `ASYNC_COMMIT`). */
  asyncCommit?: boolean;
}

/** Writes counters, jobs, the run's token counts and the live-feed notices in ONE statement. */
export async function writeBookkeeping(db: Kysely<Database>, book: Bookkeeping): Promise<void> {
  const parts: RawBuilder<unknown>[] = [];
  const selects: RawBuilder<unknown>[] = [];
  const add = (name: string, body: RawBuilder<unknown>, isSelect: boolean) => {
    parts.push(sql`${sql.raw(name)} as (${body})`);
    // A SELECT in WITH runs only when read; data-modifying ones always run.
    if (isSelect) selects.push(sql`(select count(*) from ${sql.raw(name)})`);
  };
  for (const part of book.before ?? []) add(part.name, part.body, part.isSelect);
  if (book.counters.length) add('counted', countersSql(book.counters, book.guard), false);
  if (book.jobs.length) add('queued', jobsSql(book.jobs, book.guard), true);
  if (book.run && (book.run.open !== 0 || book.run.waiting !== 0))
    add('adjusted', adjustRunSql(book.run.id, book.run.open, book.run.waiting, book.guard), false);
  if (book.notices.length) add('notified', noticesSql(book.notices, book.guard), true);
  if (book.asyncCommit) add('commit_mode', sql`select ${ASYNC_COMMIT}`, true);
  if (parts.length === 0) return;
  await sql`with ${sql.join(parts)} select ${selects.length ? sql.join(selects, sql` + `) : sql`0`}`.execute(db);
}
