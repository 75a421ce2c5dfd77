import { type Kysely, sql } from 'kysely';

// The hourly retention pass deletes expired password-reset links (engine/retention/expired.ts):
// found by their expiry, not by reading the whole table.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index password_resets_by_expiry on password_resets (expires_at)`.execute(db);
}
