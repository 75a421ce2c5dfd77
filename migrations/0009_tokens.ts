import { type Kysely, sql } from 'kysely';

// Managed API tokens: `source` tells the environment's token (retired when
// WAYMARK_API_TOKEN changes) from generated and API-made ones. Live-feed tickets are
// single-use and short-lived, shared by every server process, and die with their token.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table api_tokens add column source text not null default 'api'
      check (source in ('env', 'generated', 'api'));
    update api_tokens set source = 'env' where name = 'WAYMARK_API_TOKEN';
    update api_tokens set source = 'generated' where name = 'admin';
    create unlogged table live_tickets (
      ticket_hash text primary key,
      token_id uuid not null references api_tokens (id) on delete cascade,
      expires_at timestamptz not null
    );
    create index live_tickets_expiry on live_tickets (expires_at);
  `.execute(db);
}
