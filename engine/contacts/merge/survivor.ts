import { type Contact, NotFoundError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { isUuid } from '../../db/ids.js';
import { loadContact } from '../load.js';

/** What a contact id means now: the contact itself, or the survivor it was merged into. */
export interface Survivor {
  /** The contact to act on (the last survivor when merges chain). */
  id: string;
  /** True when the given id was merged away. */
  mergedAway: boolean;
}

/**
 * The contact an id means in the workspace (contract identity.md: a merged-away id means its
 * survivor everywhere); null for an unknown id or one that is not a UUID.
 *
 * @example
 * const s = await survivorOf(db, workspaceId, id); // { id: survivorId, mergedAway: true }
 */
export async function survivorOf(db: Kysely<Database>, workspaceId: string, id: string): Promise<Survivor | null> {
  if (!isUuid(id)) return null;
  const { rows } = await sql<{ merged_into: string | null }>`
    select merged_into from contacts where id = ${id} and workspace_id = ${workspaceId}`.execute(db);
  const row = rows[0];
  if (!row) return null;
  return row.merged_into ? { id: row.merged_into, mergedAway: true } : { id, mergedAway: false };
}

/**
 * The contact a write naming `contactId` lands on, read under a lock that first waits for a
 * merge of it in progress (the merge holds its row FOR UPDATE) and then keeps one from
 * starting until the caller's transaction ends: the contact itself, or its survivor; null when
 * unknown. Writes that update a contact's rows take it first (inserts need not: the
 * `waymark_contact_survivor` trigger does the same; tag additions, whose table has no such
 * trigger, take it in their own statement).
 */
export async function writeTarget(trx: Kysely<Database>, contactId: string): Promise<string | null> {
  const { rows } = await sql<{ id: string }>`
    select coalesce(merged_into, id) as id from contacts where id = ${contactId} for key share`.execute(trx);
  return rows[0]?.id ?? null;
}

/**
 * The contact `id` names now, as the API shows it: itself, or the survivor it was merged into
 * since (a merge may take it between a committed write and the answer; contract identity.md:
 * a write racing a merge ends on the survivor); null when unknown or erased. Each hop reads
 * committed state, so a merge chaining on between two reads is followed too.
 *
 * @example
 * const contact = await loadSurvivingContact(db, workspaceId, outcome.contactId);
 */
export async function loadSurvivingContact(
  db: Kysely<Database>,
  workspaceId: string,
  id: string,
): Promise<Contact | null> {
  let current = id;
  // A merge and an unmerge of the same contact, back and forth, could outrun every read.
  for (let hop = 0; hop < 8; hop++) {
    const contact = await loadContact(db, workspaceId, current);
    if (contact) return contact;
    const survivor = await survivorOf(db, workspaceId, current);
    if (!survivor) return null;
    current = survivor.id;
  }
  throw new Error(`contact ${id} kept being merged while it was read`);
}

/** The survivor's id for a `contactId` filter; the id itself when unknown (it then matches nothing). */
export async function survivorIdOf(db: Kysely<Database>, workspaceId: string, id: string): Promise<string> {
  return (await survivorOf(db, workspaceId, id))?.id ?? id;
}

/** The survivor's id for a contact named in a route (tags, lists, consent, erase); 404 when unknown. */
export async function contactIdFor(db: Kysely<Database>, workspaceId: string, id: string): Promise<string> {
  const survivor = await survivorOf(db, workspaceId, id);
  if (!survivor) throw new NotFoundError(`no contact ${id}`);
  return survivor.id;
}

/** A list query whose `contactId` (when set) is replaced by its survivor's. */
export async function withSurvivorContact<Q extends { contactId?: string }>(
  db: Kysely<Database>,
  workspaceId: string,
  query: Q,
): Promise<Q> {
  if (!query.contactId) return query;
  return { ...query, contactId: await survivorIdOf(db, workspaceId, query.contactId) };
}
