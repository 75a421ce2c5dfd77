import { type Kysely, sql } from 'kysely';

// Tags a marketer files journeys under (issue 26: the journey list filters by tag). A
// workspace's journeys are few, so the list's tag filter reads them without an index.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table journeys add column tags text[] not null default '{}'`.execute(db);
}
