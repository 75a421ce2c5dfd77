import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table messages (
      id uuid primary key default gen_random_uuid(),
      -- the sending step's key: a retried or re-run step finds its message instead of sending again
      idempotency_key text unique,
      run_id uuid,
      journey_id uuid,
      node_id text,
      contact_id uuid,
      channel text not null,
      category text not null check (category in ('marketing', 'transactional')),
      "to" text not null,
      "from" text,
      reply_to text,
      subject text,
      html text,
      text text,
      headers jsonb not null default '{}',
      status text not null check (status in ('queued', 'delayed', 'sent', 'suppressed', 'failed')),
      reason text,
      error text,
      delayed_until timestamptz,
      provider_id text,
      -- the tracked links of an email: [{ "index", "key", "url" }]
      links jsonb not null default '[]',
      opens integer not null default 0,
      clicks integer not null default 0,
      created_at timestamptz not null default now(),
      sent_at timestamptz
    );
    create index messages_paged on messages (created_at desc, id desc);
    create index messages_by_contact on messages (contact_id, created_at desc);
    create index messages_by_run on messages (run_id, created_at desc);
    -- the frequency cap counts a contact's recent marketing messages
    create index messages_cap on messages (contact_id, created_at) where category = 'marketing';

    create table leads (
      id uuid primary key default gen_random_uuid(),
      idempotency_key text unique,
      title text not null,
      contact_id uuid,
      owner text not null,
      status text not null default 'open' check (status in ('open', 'won', 'lost')),
      journey_id uuid,
      run_id uuid,
      node_id text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index leads_paged on leads (created_at desc, id desc);
    create index leads_by_contact on leads (contact_id);

    -- round-robin position per owners list (keyed by a hash of the list), shared by every process
    create table lead_counters (
      owners_hash text primary key,
      next bigint not null default 0
    );

    -- addresses that hard-bounced: later mail to them is suppressed (reason bounced)
    create table email_suppressions (
      id uuid primary key default gen_random_uuid(),
      address text not null,
      contact_id uuid,
      reason text not null default 'bounced',
      created_at timestamptz not null default now()
    );
    create index email_suppressions_address on email_suppressions (lower(address));
  `.execute(db);
}
