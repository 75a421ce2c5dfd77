import { type Kysely, sql } from 'kysely';

// A trigger's evaluation entered all its contacts in one transaction: a broadcast's first
// step could start only when the last of 100,000 runs was in, and a crash lost the whole
// tick. A tick is now entered a chunk per transaction, and the state remembers the open tick
// (its instant, and the previous one for core.date) and the last contact entered, so a tick
// cut short goes on where it stopped.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table trigger_state
      add column tick_at timestamptz,
      add column tick_from timestamptz,
      add column entered_through uuid;
  `.execute(db);
}
