import { type Kysely, sql } from 'kysely';

// A password reset counts the account's links of the last hour before it mails another one
// (at most 3 an hour, server/teams/reset-links.ts): found by user, not by reading every link.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index password_resets_by_user on password_resets (user_id, expires_at)`.execute(db);
}
