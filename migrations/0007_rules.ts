import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- per-category marketing preferences: { "<category>": { "status", "source"?, "at" } }
    alter table contacts add column subscriptions jsonb not null default '{}';
    -- the marketing category a message belongs to (email.send / sms.send "subscription" param)
    alter table messages add column subscription text;

    -- the current fixed window of each journey's webhook rate limit, shared by every server
    -- process; unlogged: a lost counter after a crash only forgives one window, and the hot
    -- webhook path skips the WAL flush
    create unlogged table webhook_rate_windows (
      journey_id uuid primary key,
      window_start timestamptz not null,
      hits integer not null
    ) with (fillfactor = 50);
  `.execute(db);
}
