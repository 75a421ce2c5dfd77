import type { Generated } from 'kysely';
import type { Json, Timestamp } from './foundation.js';
import type { Actor, Role } from './team-types.js';

// Typed in team-types.ts (no runtime imports, so the editor reads it too).
export type { Role };

/** Workspaces; exactly one is the default, made by the migration. */
export interface WorkspacesTable {
  id: Generated<string>;
  name: string;
  is_default: Generated<boolean>;
  created_at: Generated<Timestamp>;
}

/** People who sign in; passwords are argon2id hashes. */
export interface UsersTable {
  id: Generated<string>;
  email: string;
  name: Generated<string>;
  password_hash: string;
  created_at: Generated<Timestamp>;
}

export interface MembershipsTable {
  workspace_id: string;
  user_id: string;
  role: Role;
  joined_at: Generated<Timestamp>;
}

/** Browser sessions: the cookie's secret is stored as a SHA-256 hash. */
export interface SessionsTable {
  id: Generated<string>;
  token_hash: string;
  csrf_token: string;
  user_id: string;
  created_at: Generated<Timestamp>;
  last_used_at: Generated<Timestamp>;
}

export interface SetupCodesTable {
  code_hash: string;
  expires_at: Timestamp;
}

export interface InvitationsTable {
  id: Generated<string>;
  workspace_id: string;
  email: string;
  role: Role;
  token_hash: string;
  invited_by: Json<{ type: string; id: string | null; name: string }>;
  created_at: Generated<Timestamp>;
  expires_at: Timestamp;
  ended_at: Timestamp | null;
  /** The link was shown to the inviter (no mail sent), not only mailed to `email`. */
  link_shown: Generated<boolean>;
}

export interface PasswordResetsTable {
  token_hash: string;
  user_id: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface SignInFailuresTable {
  email: string;
  at: Generated<Timestamp>;
  /** An attempt whose password is still being checked: counted, not yet a failure. */
  pending: Generated<boolean>;
}

export interface SignInLocksTable {
  email: string;
  until: Timestamp;
}

/** Append-only: the table refuses UPDATE, DELETE and TRUNCATE. */
export interface AuditLogTable {
  id: Generated<string>;
  /** The order entries were appended in: the log is listed and paged by it, never shown. */
  seq: Generated<string>;
  workspace_id: string;
  at: Generated<Timestamp>;
  actor: Json<Actor>;
  action: string;
  object_type: string;
  object_id: string | null;
  details: Json<unknown> | null;
}

export interface TeamTables {
  workspaces: WorkspacesTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  setup_codes: SetupCodesTable;
  invitations: InvitationsTable;
  password_resets: PasswordResetsTable;
  sign_in_failures: SignInFailuresTable;
  sign_in_locks: SignInLocksTable;
  audit_log: AuditLogTable;
}
