import { ConflictError, NotFoundError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import type { WithinChange } from '../../db/transaction.js';
import { JOB_MAX_ATTEMPTS } from '../bookkeeping.js';
import { checkRetryVersion } from './retry-run.js';
import { retryRuns } from './retry-runs.js';
import { checkFailureWindow, checkFilterNodes, journeyExists, selectFailedRuns } from './select-failed.js';
import type { FailureFilter, RetryJobView } from './types.js';

/** The graphile-worker task that works a bulk retry (`{ jobId }`). */
export const BULK_RETRY_TASK = 'waymark.bulk-retry';
/** Runs retried per transaction: the job's progress moves (and survives a crash) a chunk at a time. */
export const BULK_RETRY_CHUNK = 500;
/** Jobs `GET /api/journeys/:id/retry` lists at most. */
const JOBS_LISTED = 100;

/**
 * `POST /api/journeys/:id/retry`: the journey's failed runs the filter selects that a retry
 * may take up; an archived journey's are refused (409), as a single run's retry is; a node id no version of the journey has is
 * refused (400). With `dryRun` only their count; else a
 * job holding them (fixed now), worked in the background. A journey of another workspace
 * is unknown (404).
 *
 * @example
 * const { jobId, matched } = await createBulkRetry(db, workspaceId, journeyId, { codes: ['http.status-5*'] });
 */
export async function createBulkRetry(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
  filter: FailureFilter & { dryRun?: boolean },
  /** Runs in the transaction that makes the job (not for a dry run), with the job made. */
  onStarted?: WithinChange<{ jobId: string; matched: number }>,
): Promise<{ matched: number; jobId?: string }> {
  const { dryRun, ...only } = filter;
  checkFailureWindow(only);
  return db.transaction().execute(async (trx) => {
    // As a single run's retry is (409): the selection would hold none, and 0 with no reason
    // beside the failures view's count reads as a filter that missed.
    const { status } = await journeyExists(trx, workspaceId, journeyId);
    if (status === 'archived')
      throw new ConflictError(`journey ${journeyId} is archived: its failed runs can no longer be retried`);
    await checkFilterNodes(trx, journeyId, only.nodes);
    const runs = await selectFailedRuns(trx, workspaceId, journeyId, only);
    // Checked before a dry run answers, and with no run selected too: the count a dry run gives
    // must be one the real retry would go on with, and a job never holds a version that does not exist.
    if (only.version !== undefined) {
      const newest = Math.max(0, ...runs.map((r) => r.version));
      await checkRetryVersion(trx, journeyId, only.version, newest, [...new Set(runs.map((r) => r.node_id))]);
    }
    if (dryRun) return { matched: runs.length };
    const job = await trx
      .insertInto('retry_jobs')
      .values({
        workspace_id: workspaceId,
        journey_id: journeyId,
        filter: JSON.stringify(only),
        run_ids: runs.map((r) => r.id),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await sql`select graphile_worker.add_job(${BULK_RETRY_TASK}::text, json_build_object('jobId', ${job.id}::text),
      max_attempts := ${JOB_MAX_ATTEMPTS}::int)`.execute(trx);
    const started = { jobId: job.id, matched: runs.length };
    await onStarted?.(trx, started);
    return started;
  });
}

/**
 * Works a bulk retry to its end, a chunk per transaction: each run retried once as the single
 * route does (a run it would refuse, no longer failed or of a journey archived since, is
 * skipped), the cursor moved in the same transaction, so a job that runs again after a
 * crash goes on where it stood and retries no run twice.
 */
export async function runBulkRetry(db: Kysely<Database>, jobId: string): Promise<void> {
  for (;;) {
    const more = await db.transaction().execute(async (trx) => {
      const job = await trx.selectFrom('retry_jobs').selectAll().where('id', '=', jobId).forUpdate().executeTakeFirst();
      if (job?.status !== 'running') return false;
      const ids = job.run_ids.slice(job.cursor, job.cursor + BULK_RETRY_CHUNK);
      const version = (job.filter as FailureFilter).version;
      const retried = ids.length ? await retryRuns(trx, ids, version) : [];
      const cursor = job.cursor + ids.length;
      const done = cursor >= job.run_ids.length;
      await trx
        .updateTable('retry_jobs')
        .set({
          cursor,
          retried: job.retried + retried.length,
          skipped: job.skipped + ids.length - retried.length,
          retried_ids: sql`retried_ids || ${retried}::uuid[]`,
          ...(done ? { status: 'completed', finished_at: new Date() } : {}),
        })
        .where('id', '=', jobId)
        .execute();
      return !done;
    });
    if (!more) return;
  }
}

type JobRow = {
  id: string;
  journey_id: string;
  status: RetryJobView['status'];
  filter: FailureFilter;
  matched: number;
  retried: number;
  skipped: number;
  created_at: Date;
  finished_at: Date | null;
  runs: Record<string, number> | null;
};

const view = (r: JobRow): RetryJobView => ({
  id: r.id,
  journeyId: r.journey_id,
  status: r.status,
  filter: r.filter,
  matched: r.matched,
  retried: r.retried,
  skipped: r.skipped,
  runs: { running: 0, waiting: 0, completed: 0, failed: 0, exited: 0, ...(r.runs ?? {}) },
  createdAt: new Date(r.created_at).toISOString(),
  finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
});

async function jobRows(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
  jobId: string | null,
): Promise<RetryJobView[]> {
  const { rows } = await sql<JobRow>`
    select j.id, j.journey_id, j.status, j.filter, cardinality(j.run_ids) as matched, j.retried, j.skipped,
      j.created_at, j.finished_at,
      (select json_object_agg(s.status, s.n) from (
        select r.status, count(*)::int as n from runs r where r.id = any(j.retried_ids) group by r.status) s) as runs
    from retry_jobs j
    where j.workspace_id = ${workspaceId}::uuid and j.journey_id = ${journeyId}::uuid and (${jobId}::uuid is null or j.id = ${jobId}::uuid)
    order by j.created_at desc, j.id desc
    limit ${JOBS_LISTED}`.execute(db);
  return rows.map(view);
}

/** `GET /api/journeys/:id/retry/:jobId`: a bulk retry's progress. */
export async function getBulkRetry(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
  jobId: string,
): Promise<RetryJobView> {
  const job = (await jobRows(db, workspaceId, journeyId, jobId))[0];
  if (!job) throw new NotFoundError(`no retry job ${jobId} of journey ${journeyId}`);
  return job;
}

/** `GET /api/journeys/:id/retry`: the journey's bulk retries, newest first. */
export async function listBulkRetries(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
): Promise<{ jobs: RetryJobView[] }> {
  await journeyExists(db, workspaceId, journeyId);
  return { jobs: await jobRows(db, workspaceId, journeyId, null) };
}

/** `POST …/retry/:jobId/cancel`: stops a running bulk retry; runs it has not reached stay failed. */
export async function cancelBulkRetry(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
  jobId: string,
  /** Runs in the cancel's transaction once the job is cancelled (not when it had ended). */
  onCancelled?: WithinChange,
): Promise<RetryJobView> {
  const cancelled = await db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('retry_jobs')
      .set({ status: 'cancelled', finished_at: new Date() })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', jobId)
      .where('journey_id', '=', journeyId)
      .where('status', '=', 'running')
      .returning('id')
      .executeTakeFirst();
    if (row) await onCancelled?.(trx);
    return row;
  });
  const job = await getBulkRetry(db, workspaceId, journeyId, jobId);
  if (!cancelled) throw new ConflictError(`the retry job is already ${job.status}`);
  return job;
}
