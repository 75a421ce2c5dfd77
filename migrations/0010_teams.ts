import { type Kysely, sql } from 'kysely';

// Teams: workspaces, users and their memberships, browser sessions, first-owner setup codes,
// invitations, password resets, per-email sign-in failures, scoped tokens that belong to a
// workspace, and the append-only audit log (UPDATE and DELETE are refused by a trigger).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table workspaces (
      id uuid primary key default gen_random_uuid(),
      name text not null,
      is_default boolean not null default false,
      created_at timestamptz not null default now()
    );
    create unique index workspaces_one_default on workspaces (is_default) where is_default;
    insert into workspaces (name, is_default) values ('Default', true);

    create table users (
      id uuid primary key default gen_random_uuid(),
      email text not null unique,
      name text not null default '',
      password_hash text not null,
      created_at timestamptz not null default now()
    );

    create table memberships (
      workspace_id uuid not null references workspaces (id) on delete cascade,
      user_id uuid not null references users (id) on delete cascade,
      role text not null check (role in ('owner', 'admin', 'editor', 'author', 'viewer')),
      joined_at timestamptz not null default clock_timestamp(),
      primary key (workspace_id, user_id)
    );
    create index memberships_user on memberships (user_id, joined_at);

    create table sessions (
      id uuid primary key default gen_random_uuid(),
      token_hash text not null unique,
      csrf_token text not null,
      user_id uuid not null references users (id) on delete cascade,
      created_at timestamptz not null default now(),
      last_used_at timestamptz not null default now()
    );
    create index sessions_user on sessions (user_id);

    create table setup_codes (
      code_hash text primary key,
      expires_at timestamptz not null
    );

    create table invitations (
      id uuid primary key default gen_random_uuid(),
      workspace_id uuid not null references workspaces (id) on delete cascade,
      email text not null,
      role text not null check (role in ('owner', 'admin', 'editor', 'author', 'viewer')),
      token_hash text not null unique,
      invited_by jsonb not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      ended_at timestamptz
    );
    create unique index invitations_pending on invitations (workspace_id, email) where ended_at is null;

    create table password_resets (
      token_hash text primary key,
      user_id uuid not null references users (id) on delete cascade,
      expires_at timestamptz not null,
      used_at timestamptz
    );

    create table sign_in_failures (
      email text not null,
      at timestamptz not null default clock_timestamp()
    );
    create index sign_in_failures_email on sign_in_failures (email, at);
    create table sign_in_locks (
      email text primary key,
      until timestamptz not null
    );

    alter table api_tokens
      add column workspace_id uuid references workspaces (id) on delete cascade,
      add column scopes text[] not null default '{admin}',
      add column created_by jsonb;
    update api_tokens set workspace_id = (select id from workspaces where is_default);
    update api_tokens set scopes = '{owner}' where source in ('env', 'generated');
    alter table api_tokens alter column workspace_id set not null;

    alter table live_tickets
      alter column token_id drop not null,
      add column user_id uuid references users (id) on delete cascade,
      add column workspace_id uuid references workspaces (id) on delete cascade;

    create table audit_log (
      id bigint generated always as identity primary key,
      workspace_id uuid not null,
      at timestamptz not null default clock_timestamp(),
      actor jsonb not null,
      action text not null,
      object_type text not null,
      object_id text,
      details jsonb
    );
    create index audit_log_workspace on audit_log (workspace_id, id desc);
    create function audit_log_append_only() returns trigger language plpgsql as $$
      begin raise exception 'the audit log is append-only'; end $$;
    create trigger audit_log_append_only before update or delete or truncate on audit_log
      for each statement execute function audit_log_append_only();
  `.execute(db);
}
