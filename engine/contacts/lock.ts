import { NotFoundError } from '@waymark/sdk';
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
 * Takes the locks of many contacts, in id order (as merges do), so two transactions that lock
 * overlapping sets cannot deadlock.
 */
export async function lockContacts(trx: Kysely<Database>, contactIds: readonly string[]): Promise<void> {
  const ids = [...new Set(contactIds)].sort();
  if (ids.length === 1) return lockContact(trx, ids[0] as string);
  await sql`
    select pg_advisory_xact_lock(hashtext(id))
    from (select id from unnest(${ids}::text[]) as id order by id offset 0) ordered`.execute(trx);
}

/** The contacts among `contactIds` that exist in the workspace; read under their locks, they stay so. */
export async function existingContacts(
  trx: Kysely<Database>,
  workspaceId: string,
  contactIds: readonly string[],
): Promise<Set<string>> {
  if (contactIds.length === 0) return new Set();
  const { rows } = await sql<{ id: string }>`
    select id from contacts where workspace_id = ${workspaceId} and id = any(${contactIds}::uuid[])`.execute(trx);
  return new Set(rows.map((r) => r.id));
}

/**
 * Holds a contact until the transaction ends (FOR KEY SHARE, the lock a foreign key takes), so
 * an erase of it waits for what the transaction writes about it, and sees it; false when the
 * contact is gone, also when an erase in progress deleted it and committed while this waited.
 */
export async function holdContact(trx: Kysely<Database>, contactId: string): Promise<boolean> {
  const { rows } = await sql`select 1 from contacts where id = ${contactId}::uuid for key share`.execute(trx);
  return rows.length > 0;
}

/**
 * True for a write its foreign key to `contacts` refused: the contact was erased (or merged
 * and erased) after the writer read it, the key check having waited for the erase to commit.
 */
export function contactErasedMeanwhile(error: unknown): boolean {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === '23503' && typeof constraint === 'string' && constraint.endsWith('_contact_id_fkey');
}

/**
 * Runs a write for one contact; a contact erased between its lookup and the write (its foreign
 * key waited for the erase) is then a NotFoundError (404), as an unknown contact is, not a 500.
 */
export async function unlessErased<T>(contactId: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (contactErasedMeanwhile(error)) throw new NotFoundError(`no contact ${contactId}`, { cause: error });
    throw error;
  }
}
