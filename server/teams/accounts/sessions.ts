import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../engine/db/database.js';
import { newSecret, sha256 } from './users.js';

export const SESSION_COOKIE = 'waymark_session';
export const CSRF_COOKIE = 'waymark_csrf';
/** A session ends 7 days after its last use and 30 days after sign-in. */
const IDLE_DAYS = 7;
const MAX_DAYS = 30;
/** The rule a session lives by, over a row of `sessions`. */
const UNEXPIRED = sql<boolean>`last_used_at > now() - make_interval(days => ${IDLE_DAYS})
  and created_at > now() - make_interval(days => ${MAX_DAYS})`;
/** A session's use is written down at most this often. */
const USE_GRAIN = sql`interval '1 minute'`;

export interface SessionPrincipal {
  sessionId: string;
  csrfToken: string;
  user: { id: string; email: string; name: string };
}

/** Starts a session: always a new secret and CSRF token; the cookie's secret is stored only as a hash. */
export async function startSession(
  db: Kysely<Database>,
  userId: string,
): Promise<{ secret: string; csrfToken: string; id: string }> {
  const secret = newSecret();
  const csrfToken = newSecret();
  const row = await db
    .insertInto('sessions')
    .values({ token_hash: sha256(secret), csrf_token: csrfToken, user_id: userId })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { secret, csrfToken, id: row.id };
}

/** A live session as found, with whether its use is due to be written down (`markSessionUsed`). */
export interface FoundSession extends SessionPrincipal {
  /** Last marked used over a minute ago. */
  markDue: boolean;
}

/**
 * The live session with this cookie secret, or null. Reads only: a request refused for where it
 * came from (`csrf_failed`, another site) is no use of its session, so the caller marks it used
 * (`markSessionUsed`) once the request is let through.
 */
export async function findSession(db: Kysely<Database>, secret: string): Promise<FoundSession | null> {
  const { rows } = await sql<{
    id: string;
    csrf_token: string;
    user_id: string;
    email: string;
    name: string;
    mark_due: boolean;
  }>`
    with found as (
      select id, csrf_token, user_id, last_used_at < now() - ${USE_GRAIN} as mark_due from sessions
      where token_hash = ${sha256(secret)} and ${UNEXPIRED}
    )
    select f.id, f.csrf_token, f.user_id, u.email, u.name, f.mark_due from found f join users u on u.id = f.user_id`.execute(
    db,
  );
  const row = rows[0];
  return row
    ? {
        sessionId: row.id,
        csrfToken: row.csrf_token,
        user: { id: row.user_id, email: row.email, name: row.name },
        markDue: row.mark_due,
      }
    : null;
}

/** Marks a session used now, at most once a minute (`markDue` says when it is worth asking). */
export async function markSessionUsed(db: Kysely<Database>, sessionId: string): Promise<void> {
  await sql`update sessions set last_used_at = now()
    where id = ${sessionId} and last_used_at < now() - ${USE_GRAIN}`.execute(db);
}

/**
 * Which of these sessions have not ended (`UNEXPIRED`, as `findSession` reads it); one query,
 * whatever their number. Reads only: a live socket is no use of its session.
 */
export async function liveSessions(db: Kysely<Database>, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('sessions').select('id').where('id', 'in', ids).where(UNEXPIRED).execute();
  return new Set(rows.map((r) => r.id));
}

export async function endSession(db: Kysely<Database>, sessionId: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
}

/** Ends every session of a user but the one kept (a password change keeps the caller's). */
export async function endUserSessions(db: Kysely<Database>, userId: string, keep: string | null = null) {
  let q = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (keep) q = q.where('id', '<>', keep);
  await q.execute();
}
