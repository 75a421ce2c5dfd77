import { type Kysely, sql } from 'kysely';

// One person, one record (contract identity.md). A merged-away contact stays as a row that
// points at its survivor (`merged_into`, always the last survivor of a chain) and keeps its
// identity values, so they go on naming the survivor; the unique identity indexes therefore
// hold among contacts not merged away only. Rows written for a merged-away contact after the
// merge land on its survivor (trigger below), so nothing races a merge onto the wrong contact.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table contacts
      add column merged_into uuid references contacts (id),
      add column attribute_sources jsonb not null default '{}',
      add column computed jsonb not null default '{}';
    create index contacts_merged_into on contacts (merged_into) where merged_into is not null;

    drop index contacts_email_key;
    drop index contacts_phone_key;
    drop index contacts_external_id_key;
    create unique index contacts_email_key on contacts (workspace_id, email) where merged_into is null;
    create unique index contacts_phone_key on contacts (workspace_id, phone) where merged_into is null;
    create unique index contacts_external_id_key on contacts (workspace_id, external_id) where merged_into is null;
    create index contacts_merged_email on contacts (workspace_id, email) where merged_into is not null;
    create index contacts_merged_phone on contacts (workspace_id, phone) where merged_into is not null;
    create index contacts_merged_external_id on contacts (workspace_id, external_id) where merged_into is not null;

    -- One row per merge: what the two contacts were before it and after it, and which rows
    -- of which tables moved, so an unmerge can put everything back.
    create table contact_merges (
      id uuid primary key default gen_random_uuid(),
      workspace_id uuid not null references workspaces (id) on delete cascade,
      survivor_id uuid not null references contacts (id) on delete cascade,
      merged_id uuid not null references contacts (id) on delete cascade,
      automatic boolean not null,
      merged_at timestamptz not null default now(),
      reversible_until timestamptz not null default now() + interval '30 days',
      survivor_before jsonb not null,
      survivor_after jsonb not null,
      merged_before jsonb not null,
      moved jsonb not null,
      chained uuid[] not null default '{}',
      unmerged_at timestamptz
    );
    create index contact_merges_survivor on contact_merges (survivor_id, merged_at desc);
    create index contact_merges_merged on contact_merges (merged_id);

    -- A row written for a merged-away contact is its survivor's. The locking read waits for a
    -- merge in progress on that contact (it holds the row FOR UPDATE) and then sees its result.
    create function waymark_contact_survivor() returns trigger language plpgsql as $$
      declare survivor uuid;
      begin
        if new.contact_id is null then return new; end if;
        select merged_into into survivor from contacts where id = new.contact_id for key share;
        if survivor is not null then new.contact_id := survivor; end if;
        return new;
      end $$;
    do $$ declare t text; begin
      foreach t in array array['events', 'messages', 'runs', 'leads', 'waits', 'contact_tags', 'contact_lists',
        'consent_proofs', 'run_conversions'] loop
        execute format('create trigger a_contact_survivor before insert on %I
          for each row execute function waymark_contact_survivor()', t);
      end loop;
    end $$;

    create table computed_attributes (
      workspace_id uuid not null references workspaces (id) on delete cascade,
      name text not null,
      definition jsonb not null,
      refresh_every text not null default 'PT1H',
      description text,
      status text not null default 'computing',
      refreshed_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (workspace_id, name)
    );
  `.execute(db);
}
