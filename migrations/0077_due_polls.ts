import { type Kysely, sql } from 'kysely';

// The poll task read every live journey's published version each 5 s to find its polling
// triggers, then polled them one at a time. Now each journey's published version is looked
// at once (`poll_scans`), its polling triggers' rows in trigger_state are marked with that
// version (`poll_version`), and the task asks only for the rows that are due (the partial
// index). `poll_claim` is the turn a worker took: only the worker holding it keeps what its
// poll found, so two workers never run the same poll at once.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table trigger_state add column poll_version integer, add column poll_claim uuid;
    create index trigger_state_due_polls on trigger_state (next_at nulls first) where poll_version is not null;
    create table poll_scans (
      journey_id uuid primary key references journeys (id) on delete cascade,
      version integer not null
    );
  `.execute(db);
}
