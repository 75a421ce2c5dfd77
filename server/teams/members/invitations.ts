import { ConflictError, NotFoundError } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { Actor } from '../../../engine/db/audit.js';
import type { Database } from '../../../engine/db/database.js';
import type { Role } from '../../../engine/db/tables/teams.js';
import type { WithinChange } from '../../../engine/db/transaction.js';
import { ForbiddenError } from '../access/principal.js';
import { newSecret, sha256 } from '../accounts/users.js';
import type { Invitation } from '../answer-types.js';
import { lockMembers } from './members.js';

const INVITATION_DAYS = 7;
const iso = (d: unknown) => (d as Date).toISOString();

type Row = {
  id: string;
  email: string;
  role: Role;
  workspace_id: string;
  invited_by: Invitation['invitedBy'];
  created_at: unknown;
  expires_at: unknown;
};
const answer = (r: Row): Invitation => ({
  id: r.id,
  email: r.email,
  role: r.role,
  workspaceId: r.workspace_id,
  invitedBy: r.invited_by,
  createdAt: iso(r.created_at),
  expiresAt: iso(r.expires_at),
});
const COLUMNS = ['id', 'email', 'role', 'workspace_id', 'invited_by', 'created_at', 'expires_at'] as const;

/** Ending an invitation as owner takes owner away from its link: 403 `owner` unless allowed. */
function assertMayEnd(role: Role | undefined, mayTouchOwner: boolean) {
  if (role === 'owner' && !mayTouchOwner) throw new ForbiddenError('owner');
}

/**
 * Invites an email (replacing its pending invitation); an existing member → 409. Replacing a
 * pending invitation as owner takes owner away from its link, so it needs `mayTouchOwner` as
 * inviting as owner does. `onInvited` runs in the same transaction with the invitation's id.
 * Answers the token once.
 */
export async function invite(
  db: Kysely<Database>,
  workspaceId: string,
  email: string,
  role: Role,
  by: Actor,
  mayTouchOwner: boolean,
  onInvited?: WithinChange<string>,
) {
  if (role === 'owner' && !mayTouchOwner) throw new ForbiddenError('owner');
  const token = newSecret();
  const row = await db.transaction().execute(async (trx) => {
    await lockMembers(trx, workspaceId);
    const member = await trx
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select('u.id')
      .where('m.workspace_id', '=', workspaceId)
      .where('u.email', '=', email)
      .executeTakeFirst();
    if (member) throw new ConflictError(`${email} is already a member of this workspace`);
    const ended = await trx
      .updateTable('invitations')
      .set({ ended_at: new Date() })
      .where('workspace_id', '=', workspaceId)
      .where('email', '=', email)
      .where('ended_at', 'is', null)
      .returning('role')
      .execute();
    // Thrown after the update: the transaction rolls it back, and the lock held meanwhile means
    // no other invitation for the email came in between.
    for (const e of ended) assertMayEnd(e.role, mayTouchOwner);
    const made = await trx
      .insertInto('invitations')
      .values({
        workspace_id: workspaceId,
        email,
        role,
        token_hash: sha256(token),
        invited_by: JSON.stringify({ type: by.type, id: by.id, name: by.name }),
        expires_at: new Date(Date.now() + INVITATION_DAYS * 86400_000),
      })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    await onInvited?.(trx, made.id);
    return made;
  });
  return { invitation: answer(row as Row), token };
}

export async function pendingInvitations(db: Kysely<Database>, workspaceId: string): Promise<Invitation[]> {
  const rows = await db
    .selectFrom('invitations')
    .select(COLUMNS)
    .where('workspace_id', '=', workspaceId)
    .where('ended_at', 'is', null)
    .where('expires_at', '>', new Date())
    .orderBy('created_at')
    .execute();
  return rows.map((r) => answer(r as Row));
}

/**
 * Ends a pending invitation; one as owner needs `mayTouchOwner` (403 `owner`), as replacing it
 * does. `onRevoked` runs in the same transaction.
 */
export async function revokeInvitation(
  db: Kysely<Database>,
  workspaceId: string,
  id: string,
  mayTouchOwner: boolean,
  onRevoked?: WithinChange,
) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFoundError(`no invitation ${id}`);
  await db.transaction().execute(async (trx) => {
    const ended = await trx
      .updateTable('invitations')
      .set({ ended_at: new Date() })
      .where('id', '=', id)
      .where('workspace_id', '=', workspaceId)
      .where('ended_at', 'is', null)
      .returning('role')
      .executeTakeFirst();
    if (!ended) throw new NotFoundError(`no pending invitation ${id}`);
    assertMayEnd(ended.role, mayTouchOwner);
    await onRevoked?.(trx);
  });
}

/** The invitation's link was shown to its inviter rather than mailed (no SMTP_URL, or the mail failed). */
export async function markLinkShown(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('invitations').set({ link_shown: true }).where('id', '=', id).execute();
}

/** The pending, unexpired invitation of a token, with its workspace; else 404. */
export async function openInvitation(db: Kysely<Database>, token: string) {
  const row = await db
    .selectFrom('invitations as i')
    .innerJoin('workspaces as w', 'w.id', 'i.workspace_id')
    .select([
      'i.id',
      'i.email',
      'i.role',
      'i.expires_at',
      'i.link_shown',
      'i.invited_by',
      'w.id as workspaceId',
      'w.name as workspaceName',
    ])
    .where('i.token_hash', '=', sha256(token))
    .where('i.ended_at', 'is', null)
    .where('i.expires_at', '>', new Date())
    .executeTakeFirst();
  if (!row) throw new NotFoundError('no such invitation (unknown, used, revoked or expired)');
  const user = await db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'password_hash'])
    .where('email', '=', row.email)
    .executeTakeFirst();
  return { ...row, expiresAt: iso(row.expires_at), user: user ?? null };
}

type OpenInvitation = Awaited<ReturnType<typeof openInvitation>>;

/**
 * `existingUser` as told to whoever holds the link. A mailed link is held by the invited
 * address's owner. A link shown to its inviter may be held by the inviter, and any user may make
 * a workspace and invite any email: telling them whether it has an account would list the
 * instance's accounts. So such a link tells it only when the inviter already sees that account,
 * as a member of a workspace whose members the inviter lists (owner or admin there; a token, its
 * own workspace). The accept still asks an existing user for their own password either way.
 */
export async function existingUserTold(db: Kysely<Database>, i: OpenInvitation): Promise<boolean> {
  if (!i.user) return false;
  if (!i.link_shown) return true;
  const by = i.invited_by as { type: string; id: string | null };
  let seen = db.selectFrom('memberships as m').select('m.user_id').where('m.user_id', '=', i.user.id);
  seen =
    by.type === 'user' && by.id
      ? seen
          .innerJoin('memberships as mine', 'mine.workspace_id', 'm.workspace_id')
          .where('mine.user_id', '=', by.id)
          .where('mine.role', 'in', ['owner', 'admin'])
      : seen.where('m.workspace_id', '=', i.workspaceId);
  return (await seen.executeTakeFirst()) !== undefined;
}

/** Ends the invitation inside the caller's transaction; false when another accept got there first. */
export async function endInvitation(trx: Kysely<Database>, id: string): Promise<boolean> {
  const done = await trx
    .updateTable('invitations')
    .set({ ended_at: new Date() })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return done.numUpdatedRows > 0n;
}
