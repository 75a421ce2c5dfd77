import { type Kysely, sql } from 'kysely';

// A tag addition ran the survivor trigger (0024) for every row: a PL/pgSQL call and a locking
// read of the contact each, two fifths of a step batch's tag write (100 contacts of the bench's
// 5-node journey: 272 and 296 ms of statements in two runs, 203 and 223 without it). The tag
// write finds its contacts' survivors itself, one locking read of them all
// (engine/contacts/tags.ts); the merges' own inserts name the survivor already.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger a_contact_survivor on contact_tags`.execute(db);
}
