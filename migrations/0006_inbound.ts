import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- how a sent email bounced, from the delivery report matched to it; null while none came
    alter table messages add column bounce text check (bounce in ('hard', 'soft'));

    -- a suppression names the report that caused it, and ends (cleared_at) when the address is
    -- declared good again; ended rows stay so that soft bounces before it no longer count
    alter table email_suppressions
      add column message_id uuid,
      add column status text,
      add column cleared_at timestamptz;
  `.execute(db);
}
