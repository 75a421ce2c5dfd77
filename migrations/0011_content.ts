import { type Kysely, sql } from 'kysely';

// Content and consent: email templates with their versions, snippets, signup forms, double
// opt-in confirmations awaiting their click, and the consent proofs a contact's export shows.
// Rows holding a contact have `contact_id`, so an erasure sweeps them with the rest.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table templates (
      id text primary key,
      version integer not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create table template_versions (
      template_id text not null references templates (id) on delete cascade,
      version integer not null,
      name text not null,
      format text not null check (format in ('mjml', 'html')),
      subject text not null,
      body text not null,
      text text,
      saved_at timestamptz not null default now(),
      primary key (template_id, version)
    );
    create table snippets (
      name text primary key,
      body text not null,
      updated_at timestamptz not null default now()
    );
    create table forms (
      id text primary key,
      version integer not null,
      definition jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create table form_confirmations (
      id uuid primary key default gen_random_uuid(),
      form_id text not null,
      form_version integer not null,
      contact_id uuid not null,
      email text not null,
      payload jsonb not null,
      proof_id uuid not null,
      created_at timestamptz not null default now(),
      mailed_at timestamptz not null default now(),
      confirmed_at timestamptz
    );
    create index form_confirmations_recent on form_confirmations (form_id, email, mailed_at);
    create table consent_proofs (
      id uuid primary key default gen_random_uuid(),
      contact_id uuid not null,
      channel text not null,
      status text not null,
      proof jsonb not null,
      created_at timestamptz not null default now()
    );
    create index consent_proofs_contact on consent_proofs (contact_id, created_at);
  `.execute(db);
}
