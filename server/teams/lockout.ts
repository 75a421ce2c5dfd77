import { RateLimitedError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../engine/db/database.js';

/** 10 failed sign-ins for one email within 15 minutes lock it until 15 minutes after the 10th. */
const MAX_FAILURES = 10;
const WINDOW_MINUTES = 15;

/** Throws while the email is locked. */
export async function checkLock(db: Kysely<Database>, email: string): Promise<void> {
  const { rows } = await sql<{ seconds: number }>`
    select ceil(extract(epoch from until - now()))::int as seconds from sign_in_locks
    where email = ${email} and until > now()`.execute(db);
  if (rows[0]) throw new RateLimitedError('too many failed sign-ins for this email', Math.max(1, rows[0].seconds));
}

/** Counts a failed sign-in; the tenth within the window locks the email. */
export async function countFailure(db: Kysely<Database>, email: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`waymark.sign-in:${email}`}))`.execute(trx);
    await trx.insertInto('sign_in_failures').values({ email }).execute();
    await sql`
      delete from sign_in_failures where at < now() - make_interval(mins => ${WINDOW_MINUTES})`.execute(trx);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from sign_in_failures
      where email = ${email} and at > now() - make_interval(mins => ${WINDOW_MINUTES})`.execute(trx);
    if ((rows[0]?.n ?? 0) >= MAX_FAILURES) {
      await sql`
        insert into sign_in_locks (email, until) values (${email}, now() + make_interval(mins => ${WINDOW_MINUTES}))
        on conflict (email) do update set until = excluded.until`.execute(trx);
      await trx.deleteFrom('sign_in_failures').where('email', '=', email).execute();
    }
  });
}

/** A password reset lifts the lock. */
export async function liftLock(db: Kysely<Database>, email: string): Promise<void> {
  await db.deleteFrom('sign_in_locks').where('email', '=', email).execute();
  await db.deleteFrom('sign_in_failures').where('email', '=', email).execute();
}
