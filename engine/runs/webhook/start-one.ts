import type { JsonObject } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import { bindHeldContact, type ContactIdentity, normalizeIdentity } from '../../contacts/identity/bind.js';
import type { Database } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { Dispatch } from '../dispatch.js';
import { type CallResult, type InsertRunsResult, insertRuns } from '../entry/insert-runs.js';
import { triggerOutputOf } from '../versions.js';
import { answerFor, type CallOutcome } from './intake.js';
import type { WebhookTarget } from './webhook.js';

/** No jobs to queue: a call that started no run. */
export const NO_DISPATCH: Dispatch = { stepIds: [], notices: [] };

/**
 * One call's run, on its own: bound to the payload's contact, found in the same statement or
 * created first when new; an identity no single contact holds whole, or one with a time zone
 * to store (the statement writes no contact), or whose contact an erase took meanwhile, is
 * bound (`bindHeldContact`) and the run started with its id.
 */
export async function startOne(
  db: Kysely<Database>,
  target: WebhookTarget,
  raw: ContactIdentity | null,
  payload: JsonObject,
): Promise<{ outcome: CallOutcome; dispatch: Dispatch; contactId?: string | null }> {
  const identity = raw ? normalizeIdentity(raw) : null;
  const base = {
    version: target.version,
    triggerNodeId: target.node.id,
    output: triggerOutputOf(target.version, target.node.id),
    onlyIfLive: true,
    dispatch: true,
  };
  let started: InsertRunsResult | null = null;
  let call: CallResult | undefined;
  if (identity?.timezone === undefined) {
    started = await insertRuns(db, { ...base, contacts: { calls: [{ identity, trigger: payload }] } });
    call = started.calls[0];
  }
  if (raw && (!started || (started.live && call && !call.bound))) {
    // Bound and started in one transaction, its contact held: an erase racing the call waits
    // for its run, or is seen by the binding.
    const options = { autoMerge: target.version.settings.autoMerge !== false };
    let contactId: string | null = null;
    started = await inTransaction(db, async (trx) => {
      contactId = await bindHeldContact(trx, target.workspaceId, raw, options);
      return insertRuns(trx, { ...base, contacts: { ids: [contactId] }, trigger: payload });
    });
    const runId = started.runIds[0] ?? null;
    call = { runId, contactId, bound: true, skipped: runId ? null : started.capped > 0 ? 'entry-cap' : 'reentry' };
  }
  if (!started?.live || !call) return { outcome: { stale: true }, dispatch: NO_DISPATCH };
  return {
    outcome: { answer: answerFor(call.runId, call.skipped) },
    dispatch: started.dispatch,
    contactId: call.contactId,
  };
}
