import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { ASYNC_COMMIT } from '../db/commit-mode.js';
import type { Database } from '../db/database.js';
import { JOB_MAX_ATTEMPTS, queueJobsFor, STEP_BATCH_SIZE, STEP_TASK, type StepNotice } from './bookkeeping.js';

/** Steps created with `needs_job` and the live-feed notices of their runs' trigger steps. */
export interface Dispatch {
  stepIds: readonly string[];
  notices: readonly StepNotice[];
}

/**
 * Queues the jobs of steps that webhooks created, many per transaction. Queueing a job
 * NOTIFYs the workers, and PostgreSQL serialises the commits of notifying transactions,
 * each through its own WAL flush; so the webhook's statement only marks its steps
 * `needs_job` (and commits in a group with the others), and this queues them right after,
 * one NOTIFY for all the steps that arrived meanwhile. What a crash leaves marked is queued
 * by `queueOrphanedSteps` in any live worker.
 *
 * @example
 * dispatcherFor(db, logger).add({ stepIds, notices });
 */
export class JobDispatcher {
  #waiting: Dispatch[] = [];
  #running: Promise<void> | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
  ) {}

  /** Queues the steps' jobs soon (within one round trip of the previous batch). */
  add(dispatch: Dispatch): void {
    if (dispatch.stepIds.length === 0 && dispatch.notices.length === 0) return;
    this.#waiting.push(dispatch);
    this.#running ??= this.#drainLoop();
  }

  /** Resolves once everything added so far is queued (or left to the sweeper after an error). */
  async drain(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drainLoop(): Promise<void> {
    try {
      while (this.#waiting.length) {
        const batch = this.#waiting.splice(0);
        try {
          await queueMarkedSteps(
            this.db,
            batch.flatMap((d) => d.stepIds),
            batch.flatMap((d) => d.notices),
          );
        } catch (error) {
          // The steps stay marked: the sweeper queues them.
          this.logger.warn({ err: error }, 'queueing webhook steps failed; the sweeper will retry');
        }
      }
    } finally {
      this.#running = null;
    }
  }
}

const dispatchers = new WeakMap<Kysely<Database>, JobDispatcher>();

/** The process's dispatcher over `db` (a pool, not a transaction). */
export function dispatcherFor(db: Kysely<Database>, logger: Logger): JobDispatcher {
  let dispatcher = dispatchers.get(db);
  if (!dispatcher) {
    dispatcher = new JobDispatcher(db, logger);
    dispatchers.set(db, dispatcher);
  }
  return dispatcher;
}

/**
 * Clears `needs_job` on the steps still marked and queues their jobs (`waymark_queue_marked`),
 * committed asynchronously: should a crash lose it, the steps are still marked and the
 * sweeper queues them, so its WAL flush need not delay the first step.
 */
async function queueMarkedSteps(
  db: Kysely<Database>,
  stepIds: readonly string[],
  notices: readonly StepNotice[],
): Promise<void> {
  await sql`
    select waymark_queue_marked(${[...stepIds]}::uuid[], ${JSON.stringify(notices)}::json, ${STEP_TASK}::text,
      ${JOB_MAX_ATTEMPTS}::smallint, ${STEP_BATCH_SIZE}::int), ${ASYNC_COMMIT}
  `.execute(db);
}

/**
 * Queues the jobs of steps whose process died between committing them and queueing them
 * (marked `needs_job` for longer than `olderThanSeconds`). Returns how many it queued.
 */
export async function queueOrphanedSteps(db: Kysely<Database>, olderThanSeconds = 10): Promise<number> {
  const { rows } = await sql<{ queued: number }>`
    with orphans as (
      select id from steps
      where needs_job and created_at < now() - make_interval(secs => ${olderThanSeconds})
      order by created_at limit 1000
      for update skip locked
    ), marked as (
      update steps s set needs_job = false from orphans o where s.id = o.id returning s.id, s.node_id
    ), queued as (${queueJobsFor(sql`marked`)}
    )
    select (select count(*) from marked)::int as queued, (select count(*) from queued) as done
  `.execute(db);
  return rows[0]?.queued ?? 0;
}
