import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';

/**
 * Takes the contact's lock until the transaction ends: sends decide, store and deliver under
 * it (`engine/messages/service.ts`), and an erase holds it, so a send in flight finishes
 * before the erase and a later one finds the contact gone.
 *
 * @example
 * await db.transaction().execute(async (trx) => { await lockContact(trx, contactId); … });
 */
export async function lockContact(trx: Kysely<Database>, contactId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${contactId}))`.execute(trx);
}

/**
 * True while the contact exists in the workspace; read under its lock, it stays so until the
 * transaction ends.
 */
export async function contactExists(trx: Kysely<Database>, workspaceId: string, contactId: string): Promise<boolean> {
  const row = await trx
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .executeTakeFirst();
  return Boolean(row);
}
