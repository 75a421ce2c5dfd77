/**
 * The teams answers (teams.md; API.md "Auth") apart from the code that builds them: nothing
 * here imports anything at run time (permissions.ts only types), so the editor reads the same
 * types (type-only) without the server's database code. Dates are ISO strings, as sent.
 */

import type { Actor, Role } from '../../engine/db/tables/team-types.js';
import type { Permission } from './access/permissions.js';

export interface Workspace {
  id: string;
  name: string;
}

/** A workspace of a user's, with their role there. */
export interface WorkspaceRole extends Workspace {
  role: Role;
}

/** `GET /api/auth/me`: who the request is, its workspace, role and permissions there. */
export interface Me {
  /** A user (with their email) or a token (with its scopes). */
  principal: { type: 'user' | 'token'; id: string; name: string; email?: string; scopes?: string[] };
  workspace: Workspace | null;
  role: Role | null;
  permissions: Permission[];
  /** A user's workspaces, earliest joined first; a token's own (its role null unless owner). */
  workspaces: (Workspace & { role: Role | null })[];
  /** A session's CSRF token; null for a token. */
  csrfToken: string | null;
}

/** A member as `GET /api/workspaces/:id/members` lists them. */
export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  joinedAt: string;
}

/** A pending invitation; `link` only when the invitation was not mailed (shown once to its inviter). */
export interface Invitation {
  id: string;
  email: string;
  role: Role;
  workspaceId: string;
  invitedBy: { type: string; id: string | null; name: string };
  createdAt: string;
  expiresAt: string;
  link?: string;
}

/** A token as the API lists it: never its secret. */
export interface TokenInfo {
  id: string;
  name: string;
  scopes: string[];
  workspaceId: string;
  createdBy: { type: string; id: string } | null;
  createdAt: string;
  lastUsedAt: string | null;
}

/** `POST /api/tokens`: the token made, with its secret (`token`), which no other answer shows. */
export type MadeToken = Pick<TokenInfo, 'id' | 'name' | 'scopes' | 'workspaceId' | 'createdAt'> & { token: string };

/** An entry of the audit log as `GET /api/audit` answers it. */
export interface AuditEntryView {
  id: string;
  at: string;
  actor: Actor;
  action: string;
  object: { type: string; id: string | null };
  details?: unknown;
}

/** A page of the audit log, newest first. */
export interface AuditPage {
  entries: AuditEntryView[];
  nextCursor: string | null;
}
