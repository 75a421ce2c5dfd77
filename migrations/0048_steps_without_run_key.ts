import { type Kysely, sql } from 'kysely';

// Every step inserted checked its run through the foreign key: a query per row (three a contact
// of the bench's 5-node journey) that also share-locked the run's row, which the same statement
// then updates. No path relies on it: a run's steps are only ever inserted with it (insertRuns)
// or by the writer after a live step of it (locked first, so a run erased meanwhile writes
// nothing), and no run is deleted but by an erasure, which deletes its steps before it
// (engine/contacts/privacy/erase.ts); retention deletes steps, never runs. Its cascade never fired.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table steps drop constraint if exists steps_run_id_fkey`.execute(db);
}
