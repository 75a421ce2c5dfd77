import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table contacts (
      id uuid primary key default gen_random_uuid(),
      email text,
      phone text,
      external_id text,
      timezone text,
      attributes jsonb not null default '{}',
      consent jsonb not null default '{"email":{"status":"unknown"},"sms":{"status":"unknown"}}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    -- Emails are stored lower-cased, so plain unique indexes match case-insensitively.
    create unique index contacts_email_key on contacts (email);
    create unique index contacts_phone_key on contacts (phone);
    create unique index contacts_external_id_key on contacts (external_id);
    create index contacts_attributes_gin on contacts using gin (attributes jsonb_path_ops);

    create table tags (
      tag text primary key,
      ttl_seconds double precision
    );
    create table contact_tags (
      contact_id uuid not null references contacts (id) on delete cascade,
      tag text not null,
      count integer not null default 1,
      first_added_at timestamptz not null default now(),
      last_added_at timestamptz not null default now(),
      expires_at timestamptz,
      removed boolean not null default false,
      primary key (contact_id, tag)
    );
    create index contact_tags_tag_contact on contact_tags (tag, contact_id);

    create table contact_lists (
      contact_id uuid not null references contacts (id) on delete cascade,
      list text not null,
      added_at timestamptz not null default now(),
      primary key (contact_id, list)
    );
    create index contact_lists_list_contact on contact_lists (list, contact_id);

    create table events (
      id uuid primary key default gen_random_uuid(),
      contact_id uuid not null references contacts (id) on delete cascade,
      name text not null,
      properties jsonb not null default '{}',
      timestamp timestamptz not null default now(),
      idempotency_key text unique,
      created_at timestamptz not null default now()
    );
    create index events_contact_name_timestamp on events (contact_id, name, timestamp);
    create index events_timestamp_id on events (timestamp, id);

    -- Who matched a core.segment trigger at its last evaluation: only new matches enter.
    create table segment_members (
      journey_id uuid not null,
      node_id text not null,
      contact_id uuid not null references contacts (id) on delete cascade,
      primary key (journey_id, node_id, contact_id)
    );
    -- When each segment, schedule and date trigger was last evaluated and is next due.
    create table trigger_state (
      journey_id uuid not null,
      node_id text not null,
      params_hash text not null,
      last_at timestamptz,
      next_at timestamptz,
      primary key (journey_id, node_id)
    );
    -- An erased contact: hashes only, never the identity in the clear.
    create table erasures (
      id uuid primary key default gen_random_uuid(),
      contact_hash text not null,
      identity_hashes text[] not null default '{}',
      erased_at timestamptz not null default now()
    );
  `.execute(db);
}
