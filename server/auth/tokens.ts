import { createHash, randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../engine/db/database.js';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Makes sure an admin token exists: `WAYMARK_API_TOKEN` when set, else a new one on the
 * first start, returned once so that the caller prints it. Only hashes are stored.
 */
export async function ensureAdminToken(db: Kysely<Database>, fromEnv: string | null): Promise<string | null> {
  if (fromEnv) {
    await db
      .insertInto('api_tokens')
      .values({ name: 'WAYMARK_API_TOKEN', token_hash: hashToken(fromEnv) })
      .onConflict((oc) => oc.column('token_hash').doNothing())
      .execute();
    return null;
  }
  const token = `wm_${randomBytes(24).toString('base64url')}`;
  // Under a lock and only while no token exists, so two processes starting at once make one token.
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('waymark.admin-token'))`.execute(trx);
    const existing = await trx.selectFrom('api_tokens').select('id').limit(1).executeTakeFirst();
    if (existing) return null;
    await trx
      .insertInto('api_tokens')
      .values({ name: 'admin', token_hash: hashToken(token) })
      .execute();
    return token;
  });
}
