import { createHash, randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../engine/db/database.js';
import { inTransaction, type WithinChange } from '../../engine/db/transaction.js';
import { OWNER_SCOPE } from '../teams/access/permissions.js';
import { ForbiddenError } from '../teams/access/principal.js';
import type { TokenInfo } from '../teams/answer-types.js';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

const newSecret = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

/** What a request authenticated by a token acts as. */
export interface TokenPrincipal {
  id: string;
  name: string;
  scopes: string[];
  workspaceId: string;
  /** Read with the token, which is believed for a second: the request's workspace needs no look of its own. */
  workspaceName: string;
}

const defaultWorkspace = sql<string>`(select id from workspaces where is_default)`;

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
        .values({
          name: 'WAYMARK_API_TOKEN',
          token_hash: hash,
          source: 'env',
          scopes: [OWNER_SCOPE],
          workspace_id: defaultWorkspace,
        })
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
      .values({
        name: 'admin',
        token_hash: hashToken(token),
        source: 'generated',
        scopes: [OWNER_SCOPE],
        workspace_id: defaultWorkspace,
      })
      .execute();
    return token;
  });
}

/**
 * The token with this secret, or null; marks it used (at most once a minute, so a
 * busy client does not write on every call).
 */
export async function findToken(db: Kysely<Database>, token: string): Promise<TokenPrincipal | null> {
  const { rows } = await sql<TokenPrincipal>`
    with found as (
      select id, name, scopes, workspace_id, last_used_at from api_tokens where token_hash = ${hashToken(token)}
    ),
    touched as (
      update api_tokens set last_used_at = now()
      where id in (select id from found where last_used_at is null or last_used_at < now() - interval '1 minute')
    )
    select f.id, f.name, f.scopes, f.workspace_id as "workspaceId", w.name as "workspaceName"
    from found f join workspaces w on w.id = f.workspace_id`.execute(db);
  return rows[0] ?? null;
}

/** The tokens of one workspace. */
export async function listTokens(db: Kysely<Database>, workspaceId: string): Promise<TokenInfo[]> {
  const rows = await db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'scopes', 'workspace_id', 'created_by', 'created_at', 'last_used_at'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    scopes: r.scopes,
    workspaceId: r.workspace_id,
    createdBy: r.created_by,
    createdAt: (r.created_at as unknown as Date).toISOString(),
    lastUsedAt: r.last_used_at ? (r.last_used_at as unknown as Date).toISOString() : null,
  }));
}

/** Makes a token; its secret is in the answer and nowhere else. */
export async function createToken(
  db: Kysely<Database>,
  values: { name: string; scopes: string[]; workspaceId: string; createdBy: { type: 'user' | 'token'; id: string } },
  onCreated?: WithinChange<string>,
): Promise<{ id: string; token: string; createdAt: string }> {
  const token = newSecret('wm_');
  const row = await inTransaction(db, async (trx) => {
    const made = await trx
      .insertInto('api_tokens')
      .values({
        name: values.name,
        token_hash: hashToken(token),
        source: 'api',
        scopes: values.scopes,
        workspace_id: values.workspaceId,
        created_by: JSON.stringify(values.createdBy),
      })
      .returning(['id', 'created_at'])
      .executeTakeFirstOrThrow();
    await onCreated?.(trx, made.id);
    return made;
  });
  return { id: row.id, token, createdAt: (row.created_at as unknown as Date).toISOString() };
}

/**
 * Deletes a token of a workspace (its live tickets go with it); false when there was none. A
 * token holding the reserved scope `owner` (the environment's) is an owner: taking it away
 * needs `owner`, as taking away a user's owner role does (teams.md), so an admin cannot cut
 * off the scripts that run with it.
 */
export async function revokeToken(
  db: Kysely<Database>,
  id: string,
  workspaceId: string,
  mayTouchOwner: boolean,
  onRevoked?: WithinChange,
): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const found = await trx
      .selectFrom('api_tokens')
      .select('scopes')
      .where('id', '=', id)
      .where('workspace_id', '=', workspaceId)
      .forUpdate()
      .executeTakeFirst();
    if (!found) return false;
    if (found.scopes.includes(OWNER_SCOPE) && !mayTouchOwner) throw new ForbiddenError('owner');
    const result = await trx.deleteFrom('api_tokens').where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) return false;
    await onRevoked?.(trx);
    return true;
  });
}

const TICKET_SECONDS = 60;

/** Who a live ticket was taken by: a token, or a signed-in user in a workspace under one session. */
export type TicketHolder = { tokenId: string } | { userId: string; workspaceId: string; sessionId: string };

/** A single-use ticket for opening the live feed from a browser, valid 60 s. */
export async function issueLiveTicket(
  db: Kysely<Database>,
  holder: TicketHolder,
): Promise<{ ticket: string; expiresAt: string }> {
  const ticket = newSecret('wmt_');
  const expiresAt = new Date(Date.now() + TICKET_SECONDS * 1000);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('live_tickets').where('expires_at', '<', new Date()).execute();
    await trx
      .insertInto('live_tickets')
      .values({
        ticket_hash: hashToken(ticket),
        expires_at: expiresAt,
        ...('tokenId' in holder
          ? { token_id: holder.tokenId }
          : { user_id: holder.userId, workspace_id: holder.workspaceId, session_id: holder.sessionId }),
      })
      .execute();
  });
  return { ticket, expiresAt: expiresAt.toISOString() };
}

/**
 * Uses up a ticket: its holder once, while it is unexpired and the token, or the user's session,
 * still exists (a ticket goes with either); else null.
 */
export async function redeemLiveTicket(db: Kysely<Database>, ticket: string): Promise<TicketHolder | null> {
  const row = await db
    .deleteFrom('live_tickets')
    .where('ticket_hash', '=', hashToken(ticket))
    .returning(['token_id', 'user_id', 'workspace_id', 'session_id', 'expires_at'])
    .executeTakeFirst();
  if (!row || new Date(row.expires_at).getTime() <= Date.now()) return null;
  if (row.token_id) return { tokenId: row.token_id };
  return row.user_id && row.workspace_id && row.session_id
    ? { userId: row.user_id, workspaceId: row.workspace_id, sessionId: row.session_id }
    : null;
}

/** A token by id (for a redeemed ticket). */
export async function tokenById(db: Kysely<Database>, id: string): Promise<TokenPrincipal | null> {
  const row = await db
    .selectFrom('api_tokens as t')
    .innerJoin('workspaces as w', 'w.id', 't.workspace_id')
    .select(['t.id', 't.name', 't.scopes', 't.workspace_id as workspaceId', 'w.name as workspaceName'])
    .where('t.id', '=', id)
    .executeTakeFirst();
  return row ?? null;
}
