import { type Kysely, sql } from 'kysely';

// Operations: the trace context a run was started in (its steps' spans are children of it,
// in whatever process runs them), and indexes for what metrics and retention read often.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table runs add column trace_context jsonb;
    create index steps_parked on steps (journey_id, version, node_id) where status = 'waiting';
    create index messages_backlog on messages (channel) where status in ('queued', 'delayed');
    create index runs_ended on runs (ended_at) where ended_at is not null;
  `.execute(db);
}
