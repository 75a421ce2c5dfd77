import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table journeys (
      id uuid primary key default gen_random_uuid(),
      name text not null,
      status text not null default 'draft' check (status in ('draft', 'live', 'paused', 'archived')),
      draft_graph jsonb not null default '{"nodes":[],"edges":[]}',
      draft_settings jsonb not null default '{"reentry":"always","exitOn":[]}',
      published_version integer,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      archived_at timestamptz
    );
    create index journeys_listed on journeys (updated_at desc) where status <> 'archived';
    create table journey_versions (
      journey_id uuid not null references journeys (id) on delete cascade,
      version integer not null check (version >= 1),
      graph jsonb not null,
      settings jsonb not null,
      published_at timestamptz not null default now(),
      primary key (journey_id, version)
    );
  `.execute(db);
}
