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
