import type { Kysely } from 'kysely';
import type { Database } from '../../../engine/db/database.js';
import { liveSessions } from '../accounts/sessions.js';
import type { Principal } from './principal.js';

/**
 * Who holds an open live-feed socket: its token, or a member of the workspace it watches under
 * the session whose ticket opened it.
 */
export type LiveHolder = { tokenId: string } | { userId: string; workspaceId: string; sessionId: string };

export const liveHolderOf = (principal: Principal, workspaceId: string): LiveHolder =>
  principal.type === 'token'
    ? { tokenId: principal.id }
    : { userId: principal.id, workspaceId, sessionId: principal.sessionId };

/**
 * The holders no longer admitted: a token revoked, a user removed from the workspace, a session
 * ended (signed out, ended by a password change or reset, expired). A socket outlives the request
 * that opened it, so what the API refuses from then on (teams.md, API.md "Auth") must also end the
 * sockets it opened. One query per kind, whatever the number of sockets.
 */
export async function lostHolders(db: Kysely<Database>, holders: LiveHolder[]): Promise<Set<LiveHolder>> {
  const lost = new Set<LiveHolder>();
  const tokens = holders.flatMap((h) => ('tokenId' in h ? [h.tokenId] : []));
  const users = holders.flatMap((h) => ('userId' in h ? [h.userId] : []));
  const sessions = holders.flatMap((h) => ('sessionId' in h ? [h.sessionId] : []));
  const [liveTokens, memberships, openSessions] = await Promise.all([
    tokens.length ? db.selectFrom('api_tokens').select('id').where('id', 'in', tokens).execute() : [],
    users.length
      ? db.selectFrom('memberships').select(['user_id', 'workspace_id']).where('user_id', 'in', users).execute()
      : [],
    liveSessions(db, sessions),
  ]);
  const tokenIds = new Set(liveTokens.map((t) => t.id));
  const members = new Set(memberships.map((m) => `${m.user_id} ${m.workspace_id}`));
  for (const h of holders)
    if (
      'tokenId' in h
        ? !tokenIds.has(h.tokenId)
        : !members.has(`${h.userId} ${h.workspaceId}`) || !openSessions.has(h.sessionId)
    )
      lost.add(h);
  return lost;
}
