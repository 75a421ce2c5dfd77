import { type Kysely, sql } from 'kysely';

// A provider whose signature covers a nonce but not the event beside it (Mailgun signs only
// `timestamp + token`) let anyone who once saw a signature put any event under it. Each such
// nonce is kept with the one event it first came with; the same nonce with another event is
// refused (contract sending.md "Provider event webhooks": no credential verifies it).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table provider_webhook_nonces (
      provider text not null,
      nonce text not null,
      event_id text not null,
      seen_at timestamptz not null default now(),
      primary key (provider, nonce)
    );
  `.execute(db);
}
