import { type Kysely, sql } from 'kysely';

// A package's polling trigger (engine/sdk/README.md "Triggers") keeps, per journey node, what
// its last poll returned (`poll_state`, beside the due time every trigger keeps in
// trigger_state) and every item key that node has seen, so that a crash or a repeated poll
// starts no run twice.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table trigger_state add column poll_state jsonb;
    create table trigger_seen_keys (
      journey_id uuid not null references journeys (id) on delete cascade,
      node_id text not null,
      key text not null,
      run_id uuid,
      seen_at timestamptz not null default now(),
      primary key (journey_id, node_id, key)
    );
  `.execute(db);
}
