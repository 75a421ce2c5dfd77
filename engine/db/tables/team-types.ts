/**
 * A member's role and who made a change (teams.md), as the teams tables and the audit log store
 * them: no runtime imports, so the editor reads the same types (type-only) without the engine's
 * database code. teams.ts and audit.ts re-export them.
 */

export type Role = 'owner' | 'admin' | 'editor' | 'author' | 'viewer';

/** Who made a change, as teams.md's audit entry names them. */
export type Actor = { type: 'user' | 'token' | 'system'; id: string | null; name: string; email?: string };
