import { ConflictError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { JourneyStatus } from '../db/tables/journeys.js';
import type { WithinChange } from '../db/transaction.js';
import { endRuns } from '../runs/end-runs.js';
import { passOverPause } from '../segments/tick.js';
import { getJourney, lockJourney } from './edit.js';
import { notifyJourneyChanged } from './notify.js';
import type { Journey } from './types.js';

async function setStatus(db: Kysely<Database>, id: string, status: JourneyStatus): Promise<void> {
  await db.updateTable('journeys').set({ status, updated_at: sql`now()` }).where('id', '=', id).execute();
  await notifyJourneyChanged(db, id);
}

/**
 * Pauses (`paused`) or resumes (`live`) a published journey. While paused its triggers start
 * nothing; runs already inside go on. Repeating the same change is harmless. A journey never
 * published, or archived, answers conflict. `onChanged` runs in the same transaction, under
 * the journey's lock (a repeat too: it was asked for).
 */
export async function setPaused(
  db: Kysely<Database>,
  workspaceId: string,
  id: string,
  paused: boolean,
  onChanged?: WithinChange,
): Promise<Journey> {
  await db.transaction().execute(async (trx) => {
    const row = await lockJourney(trx, workspaceId, id);
    if (row.published_version === null) {
      throw new ConflictError(
        `journey ${id} was never published: publish it before ${paused ? 'pausing' : 'resuming'} it`,
      );
    }
    const status = paused ? 'paused' : 'live';
    if (row.status !== status) {
      await setStatus(trx, id, status);
      if (!paused) await passOverPause(trx, id);
    }
    await onChanged?.(trx);
  });
  return getJourney(db, workspaceId, id);
}

/**
 * Archives a journey: it leaves the list, its triggers stop, and its running and waiting
 * runs end as `exited`, all in one transaction. Versions and runs stay readable by id.
 * Archiving an archived journey changes nothing. `onArchived` runs in the same transaction,
 * under the journey's lock (a repeat too).
 */
export async function archiveJourney(
  db: Kysely<Database>,
  workspaceId: string,
  id: string,
  onArchived?: WithinChange,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await lockJourney(trx, workspaceId, id, { archivedOk: true });
    if (row.status !== 'archived') {
      await trx.updateTable('journeys').set({ archived_at: sql`now()` }).where('id', '=', id).execute();
      await setStatus(trx, id, 'archived');
      await endRuns(trx, { journeyId: id }, 'exited');
    }
    await onArchived?.(trx);
  });
}
