import type { Kysely } from 'kysely';
import type { Database } from '../../../engine/db/database.js';
import type { WithinChange } from '../../../engine/db/transaction.js';

/**
 * Makes a workspace with its maker as owner; `onMade` runs in the same transaction with the
 * new id. Answers that id.
 */
export async function makeWorkspace(
  db: Kysely<Database>,
  name: string,
  ownerId: string,
  onMade?: WithinChange<string>,
): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const w = await trx.insertInto('workspaces').values({ name }).returning('id').executeTakeFirstOrThrow();
    await trx.insertInto('memberships').values({ workspace_id: w.id, user_id: ownerId, role: 'owner' }).execute();
    await onMade?.(trx, w.id);
    return w.id;
  });
}

/** Renames a workspace; `onRenamed` runs in the same transaction. */
export async function renameWorkspace(
  db: Kysely<Database>,
  id: string,
  name: string,
  onRenamed?: WithinChange,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('workspaces').set({ name }).where('id', '=', id).execute();
    await onRenamed?.(trx);
  });
}
