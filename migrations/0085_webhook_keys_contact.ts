import { type Kysely, sql } from 'kysely';

// The contact a keyed webhook call named, also when it started no run (the re-entry rule or the
// entry cap turned it away): the key is the caller's text and may hold the address, so an erase
// of the contact takes it (its `contact_id` sweep), not only the keys whose answer names a run.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table webhook_keys add column contact_id uuid`.execute(db);
  await sql`create index webhook_keys_by_contact on webhook_keys (contact_id) where contact_id is not null`.execute(db);
}
