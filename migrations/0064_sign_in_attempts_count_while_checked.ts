import { type Kysely, sql } from 'kysely';

// Sign-ins sent all at once each found the email unlocked before any of them failed, so a
// burst of guesses had every one checked (teams.md allows 10 failures in 15 minutes). An
// attempt now takes its row before its password is checked (`pending`), counted against the
// ten; a failure keeps it, a success drops it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table sign_in_failures add column pending boolean not null default false`.execute(db);
}
