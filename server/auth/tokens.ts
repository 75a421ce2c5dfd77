import { createHash, randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../engine/db/database.js';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

const newSecret = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

/** A token as the API lists it: never its secret. */
export interface TokenInfo {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/**
 * Makes sure an admin token exists: `WAYMARK_API_TOKEN` when set (retiring any earlier value
 * of it), else a new one on the first start, returned once so that the caller prints it.
 * Only hashes are stored.
 */
export async function ensureAdminToken(db: Kysely<Database>, fromEnv: string | null): Promise<string | null> {
  if (fromEnv) {
    const hash = hashToken(fromEnv);
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('api_tokens').where('source', '=', 'env').where('token_hash', '<>', hash).execute();
      await trx
        .insertInto('api_tokens')
        .values({ name: 'WAYMARK_API_TOKEN', token_hash: hash, source: 'env' })
        .onConflict((oc) => oc.column('token_hash').doNothing())
        .execute();
    });
    return null;
  }
  const token = newSecret('wm_');
  // Under a lock and only while no token exists, so two processes starting at once make one token.
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('waymark.admin-token'))`.execute(trx);
    const existing = await trx.selectFrom('api_tokens').select('id').limit(1).executeTakeFirst();
    if (existing) return null;
    await trx
      .insertInto('api_tokens')
      .values({ name: 'admin', token_hash: hashToken(token), source: 'generated' })
      .execute();
    return token;
  });
}

/**
 * The id of the token with this secret, or null; marks it used (at most once a minute, so a
 * busy client does not write on every call).
 */
export async function findToken(db: Kysely<Database>, token: string): Promise<string | null> {
  const { rows } = await sql<{ id: string }>`
    with found as (select id, last_used_at from api_tokens where token_hash = ${hashToken(token)}),
    touched as (
      update api_tokens set last_used_at = now()
      where id in (select id from found where last_used_at is null or last_used_at < now() - interval '1 minute')
    )
    select id from found`.execute(db);
  return rows[0]?.id ?? null;
}

export async function listTokens(db: Kysely<Database>): Promise<TokenInfo[]> {
  const rows = await db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'created_at', 'last_used_at'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    createdAt: (r.created_at as unknown as Date).toISOString(),
    lastUsedAt: r.last_used_at ? (r.last_used_at as unknown as Date).toISOString() : null,
  }));
}

/** Makes a token; its secret is in the answer and nowhere else. */
export async function createToken(db: Kysely<Database>, name: string): Promise<{ id: string; token: string }> {
  const token = newSecret('wm_');
  const row = await db
    .insertInto('api_tokens')
    .values({ name, token_hash: hashToken(token), source: 'api' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, token };
}

/** Deletes a token (its live tickets go with it); false when there was none. */
export async function revokeToken(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db.deleteFrom('api_tokens').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

const TICKET_SECONDS = 60;

/** A single-use ticket for opening the live feed from a browser, valid 60 s. */
export async function issueLiveTicket(
  db: Kysely<Database>,
  tokenId: string,
): Promise<{ ticket: string; expiresAt: string }> {
  const ticket = newSecret('wmt_');
  const expiresAt = new Date(Date.now() + TICKET_SECONDS * 1000);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('live_tickets').where('expires_at', '<', new Date()).execute();
    await trx
      .insertInto('live_tickets')
      .values({ ticket_hash: hashToken(ticket), token_id: tokenId, expires_at: expiresAt })
      .execute();
  });
  return { ticket, expiresAt: expiresAt.toISOString() };
}

/** Uses up a ticket: its token's id once, while it is unexpired and the token still exists; else null. */
export async function redeemLiveTicket(db: Kysely<Database>, ticket: string): Promise<string | null> {
  const row = await db
    .deleteFrom('live_tickets')
    .where('ticket_hash', '=', hashToken(ticket))
    .returning(['token_id', 'expires_at'])
    .executeTakeFirst();
  return row && new Date(row.expires_at).getTime() > Date.now() ? row.token_id : null;
}
