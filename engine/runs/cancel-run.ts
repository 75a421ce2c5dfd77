import { ConflictError } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { WithinChange } from '../db/transaction.js';
import { endRuns } from './end-runs.js';
import { getRun } from './view/run-view.js';
import type { RunWithSteps } from './view/types.js';

/**
 * Ends a live run as `exited` (API.md: "the run ends as `exited`"). A run already `exited` is
 * answered as it is, so a cancel repeated after a lost answer succeeds and changes nothing; a
 * run that completed or failed cannot end as `exited`, which is a conflict naming its status.
 * `onCancelled` runs in the cancel's transaction (a repeat too).
 */
export async function cancelRun(
  db: Kysely<Database>,
  workspaceId: string,
  runId: string,
  onCancelled?: WithinChange,
): Promise<RunWithSteps> {
  // Not found in the workspace: 404 before anything ends.
  await getRun(db, workspaceId, runId);
  await db.transaction().execute(async (trx) => {
    const ended = await endRuns(trx, { runIds: [runId] }, 'exited');
    if (ended.length === 0) {
      const { status } = await getRun(trx, workspaceId, runId);
      if (status !== 'exited')
        throw new ConflictError(
          `the run has already ended as ${status}: only a running or waiting run can be cancelled`,
        );
    }
    await onCancelled?.(trx);
  });
  return getRun(db, workspaceId, runId);
}
