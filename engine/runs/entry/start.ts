import type { JsonObject } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { type CompiledVersion, loadVersion, triggerOutputOf } from '../versions.js';
import { insertRuns } from './insert-runs.js';

export interface StartRunInput {
  journeyId: string;
  version: number;
  triggerNodeId: string;
  contactId: string | null;
  trigger: JsonObject;
}

async function versionOrThrow(db: Kysely<Database>, journeyId: string, version: number): Promise<CompiledVersion> {
  const compiled = await loadVersion(db, journeyId, version);
  if (!compiled) throw new Error(`journey ${journeyId} has no version ${version}`);
  return compiled;
}

/**
 * Starts one run inside the caller's transaction, the way every run starts (`insertRuns`):
 * the run row, the completed trigger step, the first steps and their jobs. No node runs
 * here. Returns null when the journey's re-entry rule turns the contact away.
 */
export async function startRun(trx: Kysely<Database>, input: StartRunInput): Promise<{ runId: string } | null> {
  const version = await versionOrThrow(trx, input.journeyId, input.version);
  if (!version.nodes.has(input.triggerNodeId))
    throw new Error(`journey ${input.journeyId} v${input.version} has no node ${input.triggerNodeId}`);
  const started = await insertRuns(trx, {
    version,
    triggerNodeId: input.triggerNodeId,
    output: triggerOutputOf(version, input.triggerNodeId),
    contacts: { ids: [input.contactId] },
    trigger: input.trigger,
  });
  const runId = started.runIds[0];
  return runId ? { runId } : null;
}

/**
 * Starts runs for many contacts in one statement (segment, schedule and date triggers).
 * Re-entry rules apply. Returns how many started.
 */
export async function startRunsForContacts(
  trx: Kysely<Database>,
  input: { journeyId: string; version: number; triggerNodeId: string; contactIds: string[]; trigger?: JsonObject },
): Promise<number> {
  if (input.contactIds.length === 0) return 0;
  const version = await versionOrThrow(trx, input.journeyId, input.version);
  const started = await insertRuns(trx, {
    version,
    triggerNodeId: input.triggerNodeId,
    output: triggerOutputOf(version, input.triggerNodeId),
    contacts: { ids: input.contactIds },
    trigger: input.trigger ?? {},
  });
  return started.runIds.length;
}
