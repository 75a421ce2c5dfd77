import type { JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { refreshContacts } from '../computed/refresh.js';
import type { Database } from '../db/database.js';
import { inTransaction } from '../db/transaction.js';
import { checkSource, storedTimeZone } from './identity/normalize.js';
import { writeTarget } from './merge/survivor.js';
import { loadPrecedence, writeAttributes } from './sources.js';

/**
 * Merges attributes key by key (a null value removes the key) under `source`, following the
 * workspace's precedence lists (a key a higher-ranking source set is left alone), and sets the
 * time zone when given; the contact's computed values follow in the same transaction. False
 * when the contact is unknown (in the workspace); a contact merged away meanwhile is written
 * as its survivor.
 */
export async function updateContact(
  db: Kysely<Database>,
  workspaceId: string,
  contactId: string,
  patch: { attributes?: JsonObject; timezone?: string | null },
  source: string,
): Promise<boolean> {
  const zone = storedTimeZone(patch.timezone);
  checkSource(source);
  const run = async (trx: Kysely<Database>) => {
    // A merge in progress decides first: its survivor is then the contact to write.
    const id = await writeTarget(trx, contactId);
    if (!id) return false;
    const { rows } = await sql<{ attributes: JsonObject; attribute_sources: JsonObject }>`
      select attributes, attribute_sources from contacts where id = ${id} and workspace_id = ${workspaceId}
      for no key update`.execute(trx);
    const current = rows[0];
    if (!current) return false;
    const written = writeAttributes(
      { attributes: current.attributes, sources: current.attribute_sources },
      patch.attributes ?? {},
      source,
      await loadPrecedence(trx, workspaceId),
      new Date().toISOString(),
    );
    const timezone = zone === undefined ? sql`timezone` : sql`${zone}::text`;
    await sql`
      update contacts set timezone = ${timezone}, updated_at = now(),
        attributes = ${JSON.stringify(written.attributes)}::jsonb,
        attribute_sources = ${JSON.stringify(written.sources)}::jsonb
      where id = ${id}`.execute(trx);
    await refreshContacts(trx, workspaceId, [id], 'profile');
    return true;
  };
  return inTransaction(db, run);
}
