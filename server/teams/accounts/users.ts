import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../engine/db/database.js';
import type { WorkspaceRole } from '../answer-types.js';

/** `Algorithm.Argon2id` (a const enum, which isolated modules cannot read). */
const ARGON2ID = 2;

/** argon2id with the library's defaults (OWASP's minimum: 19 MiB, 2 passes). */
export const hashPassword = (password: string) => hash(password, { algorithm: ARGON2ID });

// Verified against when the email is unknown, so both answers take the same time.
let dummyHash: Promise<string> | null = null;

/** Whether the password matches; an unknown user (null hash) still costs one verification. */
export async function checkPassword(storedHash: string | null, password: string): Promise<boolean> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  const target = storedHash ?? (await dummyHash);
  const ok = await verify(target, password).catch(() => false);
  return ok && storedHash !== null;
}

/** Emails of users are trimmed, lower-cased and unique. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** A random secret for a URL or a cookie: 32 bytes of node:crypto, base64url (43 characters). */
export const newSecret = () => randomBytes(32).toString('base64url');
export const sha256 = (secret: string) => createHash('sha256').update(secret).digest('hex');

export interface UserInfo {
  id: string;
  email: string;
  name: string;
}

export async function findUserByEmail(db: Kysely<Database>, email: string) {
  return db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'password_hash'])
    .where('email', '=', normalizeEmail(email))
    .executeTakeFirst();
}

/** The user's workspaces, earliest joined first. */
export async function userWorkspaces(db: Kysely<Database>, userId: string): Promise<WorkspaceRole[]> {
  return db
    .selectFrom('memberships as m')
    .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
    .select(['w.id', 'w.name', 'm.role'])
    .where('m.user_id', '=', userId)
    .orderBy('m.joined_at')
    .orderBy('w.id')
    .execute();
}

export async function defaultWorkspaceId(db: Kysely<Database>): Promise<string> {
  const row = await db.selectFrom('workspaces').select('id').where('is_default', '=', true).executeTakeFirstOrThrow();
  return row.id;
}

/** Whether the workspace has a member with role `owner`. */
export async function hasOwner(db: Kysely<Database>, workspaceId: string): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`
    select 1 as n from memberships where workspace_id = ${workspaceId} and role = 'owner' limit 1`.execute(db);
  return rows.length > 0;
}
