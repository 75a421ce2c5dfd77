import { ConflictError, type ErrorDetail, NotFoundError, ValidationError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import type { RunFailure } from '../../db/tables/runs.js';
import type { WithinChange } from '../../db/transaction.js';
import { getRun } from '../view/run-view.js';
import { retryRuns } from './retry-runs.js';
import { failedStepKept, retryable } from './retryable.js';

/**
 * Checks that runs of `journeyId` on versions up to `from` may move onto `version`: a
 * published version, not older than `from`, holding every node of `nodeIds`. Throws 400
 * `validation_failed` (`path` `/version`, one detail per missing node) otherwise.
 */
export async function checkRetryVersion(
  db: Kysely<Database>,
  journeyId: string,
  version: number,
  from: number,
  nodeIds: readonly string[],
): Promise<void> {
  const row = await db
    .selectFrom('journey_versions')
    .select('graph')
    .where('journey_id', '=', journeyId)
    .where('version', '=', version)
    .executeTakeFirst();
  const fail = (message: string, details: ErrorDetail[] = [{ path: '/version', message }]) => {
    throw new ValidationError(message, details);
  };
  if (!row) return fail(`the journey has no published version ${version}`);
  if (version < from) return fail(`version ${version} is older than the run's version ${from}`);
  const present = new Set(row.graph.nodes.map((n) => n.id));
  const missing = [...new Set(nodeIds)].filter((id) => !present.has(id));
  if (missing.length)
    fail(
      `version ${version} has no node ${missing.join(', ')}`,
      missing.map((nodeId) => ({ path: '/version', nodeId, message: `version ${version} has no node ${nodeId}` })),
    );
}

/** Whether the run's contact is in another live run of its journey holding the re-entry lock. */
async function inAnotherLiveRun(trx: Kysely<Database>, runId: string): Promise<boolean> {
  const { rows } = await sql<{ busy: boolean }>`
    select exists (select 1 from runs r join runs o on o.journey_id = r.journey_id and o.contact_id = r.contact_id
      where r.id = ${runId}::uuid and o.id <> r.id and o.reentry_lock = 'active') as busy`.execute(trx);
  return rows[0]?.busy ?? false;
}

/** Why the `retryable` rule refuses a run, for its 409 (API.md: naming the run's status). */
function whyNotRetryable(run: { status: string; failure: RunFailure | null; step_kept: boolean }): string {
  if (run.status !== 'failed') return `the run is ${run.status}; only a failed run can be retried`;
  if (!run.failure) return 'the run failed before failures were recorded; it cannot be retried';
  if (!run.step_kept)
    return 'the run is failed but retention deleted its steps (GET /api/settings/retention): there is no failed step left to run again';
  return 'the run is failed but its journey is archived';
}

/**
 * `POST /api/runs/:id/retry`: the failed step runs again as a new step (fresh attempts, the
 * failed step's idempotency key), on `version` when given, and the run goes on. The run
 * must be `failed` and its journey not archived (409); concurrent retries start it once.
 * A run of another workspace is unknown (404).
 *
 * @example
 * const run = await retryRun(db, workspaceId, runId, { version: 3 });
 */
export async function retryRun(
  db: Kysely<Database>,
  workspaceId: string,
  runId: string,
  options: { version?: number } = {},
  /** Runs in the retry's transaction once its failed step is queued again, the run locked. */
  onRetried?: WithinChange,
) {
  await db.transaction().execute(async (trx) => {
    const { rows } = await sql<
      { status: string; version: number; journey_id: string; step_kept: boolean } & (
        | { retryable: true; failure: RunFailure }
        | { retryable: false; failure: RunFailure | null }
      )
    >`
      select r.status, r.version, r.journey_id, r.failure, ${failedStepKept} as step_kept, ${retryable} as retryable
      from runs r
      where r.id = ${runId}::uuid and r.workspace_id = ${workspaceId}::uuid
      for update of r
    `.execute(trx);
    const run = rows[0];
    if (!run) throw new NotFoundError(`no run ${runId}`);
    if (!run.retryable) throw new ConflictError(whyNotRetryable(run));
    if (options.version !== undefined)
      await checkRetryVersion(trx, run.journey_id, options.version, run.version, [run.failure.nodeId]);
    const retried = await retryRuns(trx, [runId], options.version);
    if (retried.length === 0 && (await inAnotherLiveRun(trx, runId)))
      throw new ConflictError(
        'the contact is in another live run of this journey, which it enters once at a time; retry once that run ends',
      );
    if (retried.length === 0) throw new ConflictError('the run has no failed step to retry');
    await onRetried?.(trx);
  });
  return getRun(db, workspaceId, runId);
}
