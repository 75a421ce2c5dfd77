import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- the sending credential a message went out through (null: SMTP_URL or the outbox); no
    -- foreign key: the log outlives a deleted credential
    alter table messages add column credential_id uuid;
    -- provider events name messages by the provider's id
    create index messages_provider_id on messages (provider_id) where provider_id is not null;

    -- a credential's send rate (maxPerSecond): each message reserves the time it may go out
    -- (rate_slot_at, in queue order) and records when it was handed over (rate_sent_at)
    alter table messages add column rate_slot_at timestamptz, add column rate_sent_at timestamptz;
    create index messages_rate_slots on messages (credential_id, rate_slot_at) where rate_slot_at is not null;
    create index messages_rate_sent on messages (credential_id, rate_sent_at) where rate_sent_at is not null;
  `.execute(db);
}
