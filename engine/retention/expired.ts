import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';

/**
 * Deletes rows nothing reads any more, whatever workspace they belong to (the workers' hourly
 * pass, with retention): password-reset links past their expiry (a link is refused, and no
 * longer counts towards its account's mails, once expired), by an index on the expiry
 * (migration 0066). Provider webhook nonces are kept (server/README.md).
 */
export async function pruneExpired(db: Kysely<Database>): Promise<void> {
  await sql`delete from password_resets where expires_at < now()`.execute(db);
}
