import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import type { Actor } from './tables/team-types.js';

// Who made a change, typed in tables/team-types.ts (no runtime imports, so the editor reads it too).
export type { Actor };

/**
 * The actor of a change Waymark makes by itself, with no request behind it (a split deciding
 * its winner when its test period ends): no user or token, so no id to filter by.
 */
export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, name: 'Waymark' };

export interface AuditEntry {
  workspaceId: string;
  actor: Actor;
  action: string;
  objectType: string;
  objectId: string | null;
  details?: unknown;
}

/**
 * Appends one entry; the table refuses UPDATE and DELETE. Given the change's transaction, the
 * entry commits or rolls back with it.
 */
export async function appendAudit(db: Kysely<Database>, e: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      workspace_id: e.workspaceId,
      actor: JSON.stringify(e.actor),
      action: e.action,
      object_type: e.objectType,
      object_id: e.objectId,
      details: e.details === undefined ? null : JSON.stringify(e.details),
    })
    .execute();
}
