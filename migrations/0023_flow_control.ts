import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Entries a journey turned away (API.md "Journey flow control"), by reason (entry-cap,
    -- reentry); sharded like node_counters so that busy webhooks do not serialise on one row.
    create table journey_entry_skips (
      journey_id uuid not null references journeys (id) on delete cascade,
      workspace_id uuid not null references workspaces (id) on delete cascade,
      reason text not null,
      shard smallint not null,
      skipped bigint not null default 0,
      primary key (journey_id, reason, shard)
    );

    -- A journey's entry rate: the times the latest entries were given (at most the rate's
    -- count of them, oldest first), from which the next entry's time follows.
    create table journey_entry_slots (
      journey_id uuid primary key references journeys (id) on delete cascade,
      workspace_id uuid not null references workspaces (id) on delete cascade,
      recent timestamptz[] not null default '{}'
    );

    -- A journey's send rate: like a credential's (0018_sending), each message reserves the time
    -- it may go out under its journey's rate and records when it was handed over.
    alter table messages add column journey_slot_at timestamptz, add column journey_sent_at timestamptz;
    create index messages_journey_slots on messages (journey_id, journey_slot_at) where journey_slot_at is not null;
    create index messages_journey_sent on messages (journey_id, journey_sent_at) where journey_sent_at is not null;
  `.execute(db);
}
