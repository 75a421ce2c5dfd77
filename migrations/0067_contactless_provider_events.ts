import { type Kysely, sql } from 'kysely';

// A provider event is recorded once (contract sending.md "Provider event webhooks": a repeat is
// counted in `duplicates`): the contact's event row, keyed by the provider's event id, says so.
// An event of a message with no contact (a package's node sending to a bare address) stores no
// event row, so its repeats were counted `recorded` each time: their keys are kept here.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table provider_event_keys (
      workspace_id uuid not null references workspaces (id) on delete cascade,
      idempotency_key text not null,
      recorded_at timestamptz not null default now(),
      primary key (workspace_id, idempotency_key)
    );
  `.execute(db);
}
