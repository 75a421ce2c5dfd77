import { type Kysely, sql } from 'kysely';

// The hourly retention pass deletes provider webhook nonces past the time a signature carrying
// them can verify, and expired password-reset links (engine/retention/expired.ts): each found
// by its time, not by reading the whole table.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index provider_webhook_nonces_by_time on provider_webhook_nonces (seen_at)`.execute(db);
  await sql`create index password_resets_by_expiry on password_resets (expires_at)`.execute(db);
}
