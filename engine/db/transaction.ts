import type { Kysely } from 'kysely';
import type { Database } from './database.js';

/**
 * Runs `fn` in the caller's transaction when `db` is one, else in a transaction of its own:
 * a write that must be atomic stays so whether or not its caller opened one.
 *
 * @example
 * return inTransaction(db, async (trx) => { await lockContact(trx, id); … });
 */
export function inTransaction<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

/**
 * What a caller writes of a change inside the change's own transaction (its audit entry), given
 * what the change replaced as read under the change's lock: it commits or rolls back with the
 * change, and of two changes at once the later sees what the earlier left.
 *
 * @example
 * await saveDraft(db, workspaceId, id, draft, (trx, previous) => auditWithin(request, trx, { details: … }));
 */
export type WithinChange<Before = void> = (trx: Kysely<Database>, before: Before) => Promise<void>;
