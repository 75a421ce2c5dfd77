import { ConflictError, NotFoundError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../engine/db/database.js';
import { canonicalId } from '../../../engine/db/ids.js';
import type { Role } from '../../../engine/db/tables/teams.js';
import type { WithinChange } from '../../../engine/db/transaction.js';
import { ForbiddenError } from '../access/principal.js';
import type { Member } from '../answer-types.js';

const iso = (d: unknown) => (d as Date).toISOString();

export async function listMembers(db: Kysely<Database>, workspaceId: string): Promise<Member[]> {
  const rows = await db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.email', 'u.name', 'm.role', 'm.joined_at'])
    .where('m.workspace_id', '=', workspaceId)
    .orderBy('m.joined_at')
    .execute();
  return rows.map((r) => ({ userId: r.id, email: r.email, name: r.name, role: r.role, joinedAt: iso(r.joined_at) }));
}

/**
 * Makes changes to one workspace's members (roles, removals, invitations) follow one another
 * for the rest of the transaction. The key is the canonical id: a UUID in upper case names the
 * same workspace, and must not take a lock of its own.
 */
export async function lockMembers(trx: Kysely<Database>, workspaceId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`waymark.members:${canonicalId(workspaceId)}`}))`.execute(trx);
}

async function lockedMember(trx: Kysely<Database>, workspaceId: string, userId: string) {
  await lockMembers(trx, workspaceId);
  if (!/^[0-9a-f-]{36}$/i.test(userId)) throw new NotFoundError(`no member ${userId}`);
  const row = await trx
    .selectFrom('memberships')
    .select('role')
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`no member ${userId}`);
  return row.role;
}

/**
 * The owners' rows stay locked until the change commits, so the rule holds even for a writer
 * that skipped `lockMembers`: a concurrent demotion waits, then counts the owners left.
 */
async function assertNotLastOwner(trx: Kysely<Database>, workspaceId: string) {
  const owners = await trx
    .selectFrom('memberships')
    .select('user_id')
    .where('workspace_id', '=', workspaceId)
    .where('role', '=', 'owner')
    .forUpdate()
    .execute();
  if (owners.length <= 1) throw new ConflictError('the last owner cannot be demoted or removed');
}

/**
 * Changes a role; the last owner cannot be demoted. `onChanged` runs in the change's
 * transaction with the role before, read under the members' lock. Answers the previous role.
 */
export async function changeRole(
  db: Kysely<Database>,
  workspaceId: string,
  userId: string,
  role: Role,
  mayTouchOwner: boolean,
  onChanged?: WithinChange<Role>,
) {
  return db.transaction().execute(async (trx) => {
    const before = await lockedMember(trx, workspaceId, userId);
    if (before === 'owner' && role !== 'owner' && !mayTouchOwner) throw new ForbiddenError('owner');
    if (before === 'owner' && role !== 'owner') await assertNotLastOwner(trx, workspaceId);
    await trx
      .updateTable('memberships')
      .set({ role })
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .execute();
    await onChanged?.(trx, before);
    return before;
  });
}

/**
 * Removes a member; the last owner cannot be removed. `onChanged` runs in the removal's
 * transaction with the role they had. Answers that role.
 */
export async function removeMember(
  db: Kysely<Database>,
  workspaceId: string,
  userId: string,
  mayTouchOwner: boolean,
  onChanged?: WithinChange<Role>,
) {
  return db.transaction().execute(async (trx) => {
    const before = await lockedMember(trx, workspaceId, userId);
    if (before === 'owner' && !mayTouchOwner) throw new ForbiddenError('owner');
    if (before === 'owner') await assertNotLastOwner(trx, workspaceId);
    await trx.deleteFrom('memberships').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
    await onChanged?.(trx, before);
    return before;
  });
}

export async function memberRole(db: Kysely<Database>, workspaceId: string, userId: string): Promise<Member> {
  const row = await db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.email', 'u.name', 'm.role', 'm.joined_at'])
    .where('m.workspace_id', '=', workspaceId)
    .where('m.user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return { userId: row.id, email: row.email, name: row.name, role: row.role, joinedAt: iso(row.joined_at) };
}
