import { RateLimitedError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../engine/db/database.js';

/** 10 failed sign-ins for one email within 15 minutes lock it until 15 minutes after the 10th. */
const MAX_FAILURES = 10;
const WINDOW_MINUTES = 15;

/** A sign-in attempt whose password is being checked: it holds one of the email's ten. */
export interface SignInAttempt {
  email: string;
  /** Its row's time, as PostgreSQL's text (a Date would drop the microseconds). */
  at: string;
}

const lockKey = (email: string) => `waymark.sign-in:${email}`;

/**
 * Takes one of the email's attempts before its password is checked; throws 429 while the
 * email is locked, or while its failures and the attempts still being checked make ten (then
 * they end within a second). Attempts sent all at once are so counted one after the other: at
 * most ten passwords are checked, never a burst of them. End it with `attemptFailed` or
 * `attemptSucceeded`; one left (a crash) counts as a failure for the window.
 */
export async function beginAttempt(db: Kysely<Database>, email: string): Promise<SignInAttempt> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${lockKey(email)}))`.execute(trx);
    const locked = await sql<{ seconds: number }>`
      select ceil(extract(epoch from until - now()))::int as seconds from sign_in_locks
      where email = ${email} and until > now()`.execute(trx);
    if (locked.rows[0])
      throw new RateLimitedError('too many failed sign-ins for this email', Math.max(1, locked.rows[0].seconds));
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from sign_in_failures
      where email = ${email} and at > now() - make_interval(mins => ${WINDOW_MINUTES})`.execute(trx);
    if ((rows[0]?.n ?? 0) >= MAX_FAILURES)
      throw new RateLimitedError('too many sign-ins for this email are being checked; retry in a moment', 1);
    const taken = await sql<{ at: string }>`
      insert into sign_in_failures (email, pending) values (${email}, true) returning at::text as at`.execute(trx);
    return { email, at: taken.rows[0]?.at as string };
  });
}

/** A successful attempt counts as no failure. */
export async function attemptSucceeded(db: Kysely<Database>, attempt: SignInAttempt): Promise<void> {
  await sql`
    delete from sign_in_failures where ctid = (
      select ctid from sign_in_failures
      where email = ${attempt.email} and at = ${attempt.at}::timestamptz and pending limit 1)`.execute(db);
}

/** The attempt failed: it stays counted; the tenth failure within the window locks the email. */
export async function attemptFailed(db: Kysely<Database>, attempt: SignInAttempt): Promise<void> {
  const { email } = attempt;
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${lockKey(email)}))`.execute(trx);
    const settled = await sql`
      update sign_in_failures set pending = false where ctid = (
        select ctid from sign_in_failures
        where email = ${email} and at = ${attempt.at}::timestamptz and pending limit 1)`.execute(trx);
    // Its row went with a lock or a reset meanwhile: still a failure, counted anew.
    if (!settled.numAffectedRows) await trx.insertInto('sign_in_failures').values({ email }).execute();
    await sql`
      delete from sign_in_failures where at < now() - make_interval(mins => ${WINDOW_MINUTES})`.execute(trx);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from sign_in_failures
      where email = ${email} and not pending and at > now() - make_interval(mins => ${WINDOW_MINUTES})`.execute(trx);
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
