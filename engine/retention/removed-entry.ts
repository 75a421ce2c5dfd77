import { type AuditEntry, SYSTEM_ACTOR } from '../db/audit.js';
import type { Cutoffs } from './enforce.js';

/** How many rows of each kind one workspace's enforcement removed (a run trigger: its payload cleared). */
export interface Removed {
  steps: number;
  runTriggers: number;
  events: number;
  providerEventKeys: number;
  messages: number;
}

export const NOTHING_REMOVED: Readonly<Removed> = {
  steps: 0,
  runTriggers: 0,
  events: 0,
  providerEventKeys: 0,
  messages: 0,
};

/**
 * `retention.removed`, the audit entry of the workers' hourly pass in one workspace: no request
 * made it, so Waymark itself is its actor, and it says what went and the cutoffs it went by.
 * Null when the pass removed nothing there: an hourly entry saying so would bury the others.
 */
export function removedEntry(workspaceId: string, cutoffs: Cutoffs, removed: Removed): AuditEntry | null {
  if (Object.values(removed).every((count) => count === 0)) return null;
  return {
    workspaceId,
    actor: SYSTEM_ACTOR,
    action: 'retention.removed',
    objectType: 'retention',
    objectId: null,
    details: { cutoffs, removed },
  };
}
