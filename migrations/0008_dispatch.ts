import { type Kysely, sql } from 'kysely';

// Steps a webhook created whose job the process's dispatcher has yet to queue: the webhook's
// statement stays free of NOTIFY (which serialises commits), and a sweeper queues what a
// crashed process left behind.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table steps add column needs_job boolean not null default false;
    create index steps_needing_jobs on steps (created_at) where needs_job;
  `.execute(db);
}
