import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../engine/db/database.js';
import { newSecret, sha256 } from './users.js';

/** How long a password-reset link works (teams.md: valid 1 h, once). */
export const RESET_LINK_MINUTES = 60;

/**
 * Reset links (so mails) an account is sent while its earlier ones still live: at most 3 in
 * any hour, since a link lives an hour. Anyone may ask for a reset of any address, so without
 * a limit one request loop fills a mailbox and makes the mail server's reputation ours to
 * lose; 3 leaves room for a mail that was slow, lost or deleted, and a fourth within the hour
 * is no one's need.
 */
export const RESET_MAILS_PER_HOUR = 3;

/**
 * Stores a new reset link for the user, unless RESET_MAILS_PER_HOUR links were made for them
 * within the hour: answers the link's token, or null when the limit holds it back. Counted
 * from the links themselves (a link expires an hour after it was made, used or not), so a
 * limited request leaves every earlier link working.
 *
 * @example
 * const token = await issueResetLink(db, user.id); // null: three already went out this hour
 */
export async function issueResetLink(db: Kysely<Database>, userId: string): Promise<string | null> {
  const token = newSecret();
  const now = new Date();
  const expiresAt = new Date(now.getTime() + RESET_LINK_MINUTES * 60_000);
  return db.transaction().execute(async (trx) => {
    // One decision per account at a time: requests sent at once would each count the same
    // links and all pass. (Not `for update`: that would also hold back rows referring to the user.)
    await sql`select 1 from users where id = ${userId} for no key update`.execute(trx);
    const { rows } = await sql<{ token_hash: string }>`
      insert into password_resets (token_hash, user_id, expires_at)
      select ${sha256(token)}, ${userId}, ${expiresAt}
      where (select count(*) from password_resets
             where user_id = ${userId} and expires_at > ${now}) < ${RESET_MAILS_PER_HOUR}
      returning token_hash`.execute(trx);
    return rows.length ? token : null;
  });
}
