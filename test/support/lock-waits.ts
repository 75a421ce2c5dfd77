import { type Kysely, sql } from 'kysely';

/** How many backends of the database `db` opens wait for a lock another transaction holds. */
export async function lockWaits<DB>(db: Kysely<DB>): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_stat_activity
    where wait_event_type = 'Lock' and datname = current_database()`.execute(db);
  return rows[0]?.n ?? 0;
}

/**
 * Until some backend of the database waits for a lock (the call under test has reached the
 * lock the test holds); throws after 5 s, naming `what` should have waited.
 */
export async function untilSomeoneWaits<DB>(db: Kysely<DB>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await lockWaits(db)) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${what} never waited for a lock`);
}
