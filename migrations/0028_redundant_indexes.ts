import { type Kysely, sql } from 'kysely';

// Since 0014 every listing of runs and of messages is a workspace's, read through
// runs_by_workspace and messages_by_workspace; the installation-wide orderings of 0004 and
// 0005 serve no query. Each run a step ends and each message a send writes kept one of them
// up to date for nothing.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index if exists runs_paged;
    drop index if exists messages_paged;
  `.execute(db);
}
