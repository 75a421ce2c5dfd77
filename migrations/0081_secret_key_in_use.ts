import { type Kysely, sql } from 'kysely';

// The key this database was last used with, by fingerprint: a process that starts with
// another (a lost WAYMARK_SECRET_KEY, a container's key generated again without its volume)
// is told at once, not when an unsubscribe link in mail already sent stops verifying.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table secret_key_in_use (
      only_row boolean primary key default true check (only_row),
      fingerprint text not null,
      since timestamptz not null default now()
    )
  `.execute(db);
}
