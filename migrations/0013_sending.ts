import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- the sending credential a message went out through (null: SMTP_URL or the outbox); no
    -- foreign key: the log outlives a deleted credential
    alter table messages add column credential_id uuid;
    -- provider events name messages by the provider's id
    create index messages_provider_id on messages (provider_id) where provider_id is not null;
  `.execute(db);
}
