import { type Kysely, sql } from 'kysely';

// A counter of the draft's saves: the journey answers name it in their ETag, and a draft PUT
// with If-Match saves only while it is still the one named. updated_at could not serve: a
// rename, a pause or a publish moves it too, and two saves may share its microsecond.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table journeys add column draft_revision integer not null default 1`.execute(db);
}
