import { NONCE_WINDOW_SECONDS } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';

/**
 * How long a provider webhook's nonce is kept after it first came: a signature carrying it
 * verifies only within NONCE_WINDOW_SECONDS of the time it was made, and it was made at most
 * that long before the nonce first came, so after twice that no request can bring it again.
 */
export const NONCE_KEPT_SECONDS = 2 * NONCE_WINDOW_SECONDS;

/**
 * Deletes rows nothing reads any more, whatever workspace they belong to (the workers' hourly
 * pass, with retention): provider webhook nonces past NONCE_KEPT_SECONDS, and password-reset
 * links past their expiry (a link is refused, and no longer counts towards its account's
 * mails, once expired). One statement a table, each by an index on its time (migration 0066);
 * an hour's worth of rows is what each deletes.
 */
export async function pruneExpired(db: Kysely<Database>): Promise<void> {
  await sql`
    delete from provider_webhook_nonces
    where seen_at < now() - make_interval(secs => ${NONCE_KEPT_SECONDS})
  `.execute(db);
  await sql`delete from password_resets where expires_at < now()`.execute(db);
}
