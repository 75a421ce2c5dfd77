import { NotFoundError, WaymarkError } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { Database } from '../../../engine/db/database.js';
import { canonicalId, isUuid } from '../../../engine/db/ids.js';
import type { Role } from '../../../engine/db/tables/teams.js';
import type { TokenPrincipal } from '../../auth/tokens.js';
import type { SessionPrincipal } from '../accounts/sessions.js';
import {
  OWNER_SCOPE,
  PERMISSIONS,
  type Permission,
  ROLE_PERMISSIONS,
  ROLES,
  type RoutePermission,
  rolePermissions,
  scopePermissions,
} from './permissions.js';

/** Who a request acts as. */
export type Principal =
  | ({ type: 'token' } & TokenPrincipal)
  | ({ type: 'user'; id: string; email: string; name: string } & SessionPrincipal);

/** The request's workspace and what the principal may do there. */
export interface Standing {
  workspace: { id: string; name: string } | null;
  role: Role | null;
  permissions: Set<Permission>;
}

/** The role or the token's scopes lack the route's permission: HTTP 403 `forbidden`. */
export class ForbiddenError extends WaymarkError {
  constructor(readonly permission: string) {
    super('forbidden', `this needs the permission ${permission}`, [
      { permission, message: `the permission ${permission} is needed` } as never,
    ]);
  }
}

/** A state-changing cookie request without its session's CSRF token, or a foreign Origin: 403 `csrf_failed`. */
export class CsrfError extends WaymarkError {
  constructor(message: string) {
    super('csrf_failed', message);
  }
}

const isPermission = (needed: RoutePermission): needed is Permission =>
  (PERMISSIONS as readonly string[]).includes(needed);

const noWorkspace = (id: string) => new NotFoundError(`no workspace ${id}`);

/**
 * Decides the request's workspace: a token's own; for a user the one asked for (a path's
 * workspace id, else `X-Waymark-Workspace`), else the earliest joined. One the principal
 * does not belong to answers 404, as an unknown one. The id asked for is compared in either
 * case, by a token as by a user.
 */
export async function resolveStanding(
  db: Kysely<Database>,
  principal: Principal,
  askedAs: string | null,
): Promise<Standing> {
  const asked = askedAs === null ? null : canonicalId(askedAs);
  if (principal.type === 'token') {
    if (asked && asked !== principal.workspaceId) throw noWorkspace(asked);
    const ws = { id: principal.workspaceId, name: principal.workspaceName };
    const isOwner = principal.scopes.includes(OWNER_SCOPE);
    return { workspace: ws, role: isOwner ? 'owner' : null, permissions: scopePermissions(principal.scopes) };
  }
  let q = db
    .selectFrom('memberships as m')
    .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
    .select(['w.id', 'w.name', 'm.role'])
    .where('m.user_id', '=', principal.id);
  if (asked) {
    if (!isUuid(asked)) throw noWorkspace(asked);
    q = q.where('w.id', '=', asked);
  }
  const row = await q.orderBy('m.joined_at').orderBy('w.id').limit(1).executeTakeFirst();
  if (!row) {
    if (asked) throw noWorkspace(asked);
    return { workspace: null, role: null, permissions: new Set() };
  }
  return { workspace: { id: row.id, name: row.name }, role: row.role, permissions: rolePermissions(row.role) };
}

/**
 * Whether the principal holds `needed` in any workspace it could name: a token only in its own
 * (its standing's), a user in any they are a member of. Permissions of no workspace (`user`,
 * `authenticated`) are held or not wherever one asks.
 */
export async function heldSomewhere(
  db: Kysely<Database>,
  principal: Principal,
  standing: Standing,
  needed: RoutePermission,
): Promise<boolean> {
  if (!isPermission(needed)) return true;
  if (principal.type === 'token') return standing.permissions.has(needed);
  const roles = ROLES.filter((role) => ROLE_PERMISSIONS[role].includes(needed));
  const row = await db
    .selectFrom('memberships')
    .select('role')
    .where('user_id', '=', principal.id)
    .where('role', 'in', roles)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Throws unless the principal may use a route needing `needed` in its standing. */
export function authorize(principal: Principal, standing: Standing, needed: RoutePermission): void {
  if (needed === 'public' || needed === 'authenticated') return;
  if (needed === 'user') {
    if (principal.type !== 'user') throw new ForbiddenError('user');
    return;
  }
  if (!standing.workspace) throw new NotFoundError('you belong to no workspace');
  if (!standing.permissions.has(needed)) throw new ForbiddenError(needed);
}

/** A wrong password, or a missing or ended session: HTTP 401 `unauthorized`. */
export class UnauthorizedError extends WaymarkError {
  constructor(message: string) {
    super('unauthorized', message);
  }
}
