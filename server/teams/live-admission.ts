import type { Kysely } from 'kysely';
import type { Database } from '../../engine/db/database.js';
import type { Principal } from './principal.js';

/** Who holds an open live-feed socket: its token, or a member of the workspace it watches. */
export type LiveHolder = { tokenId: string } | { userId: string; workspaceId: string };

export const liveHolderOf = (principal: Principal, workspaceId: string): LiveHolder =>
  principal.type === 'token' ? { tokenId: principal.id } : { userId: principal.id, workspaceId };

/**
 * The holders no longer admitted: a token revoked, a user removed from the workspace. A socket
 * outlives the request that opened it, so what the API refuses from then on (teams.md, API.md
 * "Auth") must also end the sockets it opened. One query per kind, whatever the number of sockets.
 */
export async function lostHolders(db: Kysely<Database>, holders: LiveHolder[]): Promise<Set<LiveHolder>> {
  const lost = new Set<LiveHolder>();
  const tokens = holders.flatMap((h) => ('tokenId' in h ? [h.tokenId] : []));
  const users = holders.flatMap((h) => ('userId' in h ? [h.userId] : []));
  const [liveTokens, memberships] = await Promise.all([
    tokens.length ? db.selectFrom('api_tokens').select('id').where('id', 'in', tokens).execute() : [],
    users.length
      ? db.selectFrom('memberships').select(['user_id', 'workspace_id']).where('user_id', 'in', users).execute()
      : [],
  ]);
  const tokenIds = new Set(liveTokens.map((t) => t.id));
  const members = new Set(memberships.map((m) => `${m.user_id} ${m.workspace_id}`));
  for (const h of holders)
    if ('tokenId' in h ? !tokenIds.has(h.tokenId) : !members.has(`${h.userId} ${h.workspaceId}`)) lost.add(h);
  return lost;
}
