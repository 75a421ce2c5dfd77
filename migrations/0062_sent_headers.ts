import { type Kysely, sql } from 'kysely';

// The message detail showed only the headers Waymark adds itself (`headers`: the unsubscribe
// pair, custom ones), as a jsonb object that keeps no order. Someone debugging deliverability
// needs every header the message went out with, in order: Message-ID, Date, MIME-Version,
// DKIM-Signature … `[{ name, value }]`, recorded when the message is handed over by SMTP or
// kept in the outbox; null when a provider's API wrote the message.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table messages add column sent_headers jsonb`.execute(db);
}
