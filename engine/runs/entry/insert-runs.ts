import type { JsonObject } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { NormalizedIdentity } from '../../contacts/identity/bind.js';
import type { Database } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { TraceCarrier } from '../../observability/trace-context.js';
import type { Dispatch } from '../dispatch.js';
import type { CompiledVersion } from '../versions.js';
import { insertGated } from './entry-statement.js';
import { closeGate, isGated, openGate } from './gate.js';

/**
 * Who the new runs are for: known contact ids (null = an anonymous run; each id once), sharing
 * `trigger`; or calls (webhooks), one run each, every call with its own identity to look up or
 * create (null = anonymous) and its own trigger.
 */
export type RunContacts = { ids: readonly (string | null)[] } | { calls: readonly RunCall[] };

/** One webhook call's run: the contact it names and its payload. */
export interface RunCall {
  identity: NormalizedIdentity | null;
  trigger: JsonObject;
  /**
   * The trace context the call arrived in, stored with its run (null: none). Omitted: the
   * context active when `insertRuns` is called.
   */
  traceContext?: TraceCarrier | null;
}

export interface InsertRunsInput {
  version: CompiledVersion;
  triggerNodeId: string;
  /** The output the trigger leaves by. */
  output: string;
  contacts: RunContacts;
  /** The trigger value of runs started for `ids`. */
  trigger?: JsonObject;
  /** Start nothing unless the journey is still active on this version (webhooks). */
  onlyIfLive?: boolean;
  /**
   * Mark the new steps `needs_job` and leave queueing their jobs (and the live-feed notices)
   * to the caller's `JobDispatcher`: the statement then NOTIFYs nothing and commits in a
   * group with its peers. Otherwise the jobs are queued in the statement.
   */
  dispatch?: boolean;
}

/** What became of one call: its run (null: turned away), or not bound. */
export interface CallResult {
  runId: string | null;
  /** The contact it was bound to (null: anonymous, or not bound). */
  contactId: string | null;
  /** Why no run started: the re-entry rule, or the journey's entry cap. */
  skipped: 'reentry' | 'entry-cap' | null;
  /**
   * False when its identity is held by no single stored contact whole (nor could a new
   * contact take it): bind it with `bindContact`, then start with the id.
   */
  bound: boolean;
}

export interface InsertRunsResult {
  runIds: string[];
  /** With `calls`: each call's result, in order. */
  calls: CallResult[];
  /** With `dispatch`: what the dispatcher must queue. */
  dispatch: Dispatch;
  /** False when `onlyIfLive` found the journey paused, archived or on another version. */
  live: boolean;
  /** Entries the journey's cap turned away. */
  capped: number;
}

/**
 * Starts runs in ONE statement, for one webhook call or a group of them, or for 100,000
 * contacts: each call's contact found or created for its identity, the runs (re-entry rules
 * applied), their completed trigger steps, the first steps after the trigger with their jobs,
 * the node counters and the live-feed notices (or, with `dispatch`, the steps marked for the
 * dispatcher). Outside a transaction the statement is its own: it commits before this returns.
 *
 * @example
 * const { runIds } = await insertRuns(db, { version, triggerNodeId: 't', output: 'out', contacts: { ids }, trigger: {} });
 */
export async function insertRuns(db: Kysely<Database>, input: InsertRunsInput): Promise<InsertRunsResult> {
  if (!isGated(input.version)) return insertGated(db, input, { remaining: null, slots: null, now: null });
  // A cap or an entry rate: the journey's entries go one statement after another.
  const wanted = 'calls' in input.contacts ? input.contacts.calls.length : input.contacts.ids.length;
  const run = async (trx: Kysely<Database>) => {
    const gate = await openGate(trx, input.version, wanted);
    const result = await insertGated(trx, input, gate);
    await closeGate(trx, input.version, result.usedSlots);
    return result;
  };
  return inTransaction(db, run);
}
