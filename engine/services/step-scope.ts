import type { Contact, SendRequest, SendResult, TagState } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { TagAdd } from '../contacts/tags.js';
import type { StepSecrets } from '../credentials/step-secrets.js';
import type { Database } from '../db/database.js';
import type { Runtime } from '../runtime.js';

/**
 * Where a service call comes from: the step it serves. `db` is the step's transaction for
 * inline steps, the pool otherwise. Services built from a scope act for that step only.
 */
export interface StepScope {
  runtime: Runtime;
  db: Kysely<Database>;
  runId: string;
  /** The journey's workspace: every row the step reads or writes belongs to it. */
  workspaceId: string;
  journeyId: string;
  version: number;
  nodeId: string;
  contactId: string | null;
  /** The contact as the step's `ctx.contact` shows it, when loaded (undefined: not known). */
  contact?: Contact | null;
  /**
   * The source a contact write names when its caller names none (contract identity.md
   * "Attribute sources"): the run's `core.webhook` trigger's `source`, else `journey`.
   */
  source: string;
  /** Stable across retries and crash re-runs of the step. */
  idempotencyKey: string;
  now(): Date;
  /** Shared by the steps of one batch, so their writes leave together (absent: one by one). */
  batch?: StepBatchServices;
  /**
   * Set for an inline step run in memory after a node that called out: its run may have ended
   * during the call, and the writer then drops the step, but not a write it made. Its contact
   * writes (tags, lists, attributes) take effect only while the run is live, decided under the
   * run's lock in the write's own transaction (`endedRunsAmong`), as a send decides.
   */
  whileRunLive?: boolean;
  /**
   * The step's secrets (`invokeNode`): a service adds what it used for the step that may come
   * back in the step's error, to be hidden there like what the node read (absent: no step).
   */
  secrets?: StepSecrets;
}

/** Writes the steps of a batch share: each call is answered as if it went alone. */
export interface StepBatchServices {
  addTag(add: TagAdd): Promise<TagState>;
  /** A message decided and written with the other sends of the batch that came in the same turn. */
  send(scope: StepScope, asked: SendRequest): Promise<SendResult>;
  /** A read the batch's steps share, made once per key: what it found holds for the whole batch. */
  once<T>(key: string, read: () => Promise<T>): Promise<T>;
}

/**
 * A read made once per batch when the step has one (the contact rules, a credential, a
 * journey's send rate), else read now. A batch may hold steps of several workspaces (a job
 * takes the steps of one node id, whatever their journey), and a read answers for the
 * workspace of the step that made it: it is shared by the steps of that workspace only.
 *
 * @example
 * const rules = await shared(scope, 'contact-rules', () => loadContactRules(scope.db, scope.workspaceId));
 */
export function shared<T>(scope: StepScope, key: string, read: () => Promise<T>): Promise<T> {
  return scope.batch ? scope.batch.once(`${scope.workspaceId}\u0000${key}`, read) : read();
}
