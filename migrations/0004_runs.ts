import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table runs (
      id uuid primary key default gen_random_uuid(),
      journey_id uuid not null,
      version integer not null,
      contact_id uuid,
      status text not null default 'running'
        check (status in ('running', 'waiting', 'completed', 'failed', 'exited')),
      outcome text,
      trigger jsonb not null default '{}',
      trigger_node_id text not null,
      -- steps not yet finished (queued, running or parked) and those of them parked in a wait
      open_steps integer not null default 0,
      waiting_steps integer not null default 0,
      -- 'once' forever, 'active' while a once-at-a-time run lives: the unique index below
      -- makes the re-entry rule hold under concurrent starts
      reentry_lock text,
      started_at timestamptz not null default now(),
      ended_at timestamptz
    );
    create index runs_paged on runs (started_at desc, id desc);
    create index runs_by_journey on runs (journey_id, started_at desc, id desc);
    create index runs_by_contact on runs (contact_id, journey_id, started_at desc);
    create index runs_by_status on runs (status, started_at desc, id desc) where status in ('running', 'waiting');
    create unique index runs_reentry on runs (journey_id, contact_id, reentry_lock) where reentry_lock is not null;

    create table steps (
      id uuid primary key default gen_random_uuid(),
      seq bigint generated always as identity,
      run_id uuid not null references runs (id) on delete cascade,
      journey_id uuid not null,
      version integer not null,
      node_id text not null,
      -- the step whose output led here: a token's path is its parent chain
      parent_step_id uuid,
      status text not null default 'pending'
        check (status in ('pending', 'running', 'waiting', 'completed', 'failed', 'cancelled')),
      output jsonb,
      error jsonb,
      attempts integer not null default 0,
      outputs_taken text[],
      -- what the next execution of a parked step gets as ctx.resume
      resume jsonb,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz
    );
    create index steps_of_run on steps (run_id, seq);
    -- one step per (parent, node): a repeated fan-out inserts nothing twice
    create unique index steps_once on steps (parent_step_id, node_id) where parent_step_id is not null;

    create table waits (
      id uuid primary key default gen_random_uuid(),
      step_id uuid not null unique references steps (id) on delete cascade,
      run_id uuid not null,
      journey_id uuid not null,
      contact_id uuid not null,
      event_name text not null,
      filter jsonb,
      deadline timestamptz not null,
      created_at timestamptz not null default now()
    );
    create index waits_by_event on waits (contact_id, event_name);
    create index waits_by_run on waits (run_id);

    create table webhook_keys (
      journey_id uuid not null,
      node_id text not null,
      key text not null,
      status_code integer,
      response jsonb,
      created_at timestamptz not null default now(),
      primary key (journey_id, node_id, key)
    );
    create index webhook_keys_age on webhook_keys (created_at);

    create table node_counters (
      journey_id uuid not null,
      version integer not null,
      node_id text not null,
      -- '' for the node's own counts, else the output taken
      output text not null default '',
      shard smallint not null,
      entered bigint not null default 0,
      completed bigint not null default 0,
      failed bigint not null default 0,
      waiting bigint not null default 0,
      taken bigint not null default 0,
      primary key (journey_id, version, node_id, output, shard)
    );
  `.execute(db);
}
