import type { SendResult, TagState } from '@waymark/sdk';
import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import { addTags, type TagAdd } from '../../contacts/tags.js';
import type { Database } from '../../db/database.js';
import { type AssignmentKey, firstAssignments } from '../../experiments/assignments.js';
import { routingDecision, type SplitReaders } from '../../experiments/decisions.js';
import { type SendItem, sendMessages, sendOne } from '../../messages/send/send-messages.js';
import type { StepBatchServices } from '../../services/step-scope.js';

export interface StepBatch extends StepBatchServices, SplitReaders {}

/**
 * What the tokens of one step batch share so that their reads and writes go set-based: tag
 * additions made in the same tick leave in ONE statement (a batch's tag nodes run side by
 * side), so do the messages its send nodes ask for in one turn (decided and written together),
 * a split's standing decision, the contact rules and a credential are read once, and the first
 * assignments of the units its splits see are read together. Made per
 * batch: a decision or a setting changed while a batch runs applies from the next batch.
 * Sends go through `db` (the main pool); tag writes and decision reads, single statements of
 * the kernel's, through `kernel` (`Runtime.stepDb`).
 */
export function createStepBatch(db: Kysely<Database>, kernel: Kysely<Database> = db): StepBatch {
  const tags = new DataLoader<TagAdd, TagState>(
    async (adds) => {
      try {
        // Committed asynchronously, as the batch's own writes: its job's synchronous completion
        // flushes the WAL up to it, and a batch lost in a crash runs again.
        return await addTags(kernel, adds, { asyncCommit: true });
      } catch {
        // One unknown contact fails the statement: each addition again alone, so only it fails.
        return Promise.all(
          adds.map((add) =>
            addTags(kernel, [add], { asyncCommit: true }).then(([state]) => state as TagState, toError),
          ),
        );
      }
    },
    { cache: false, maxBatchSize: 500 },
  );
  // The sends of one turn wait for the turn's end, so the batch's tokens that reach their send
  // node together are decided in one transaction.
  const sends = new DataLoader<SendItem, SendResult>(sendMessages, {
    cache: false,
    maxBatchSize: 500,
    batchScheduleFn: (callback) => setImmediate(callback),
  });
  const assignments = new DataLoader<AssignmentKey, string | null>((keys) => firstAssignments(kernel, keys), {
    cache: false,
    maxBatchSize: 500,
  });
  const reads = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    let found = reads.get(key) as Promise<T> | undefined;
    if (!found) {
      found = read();
      // Awaited by each step that asks; a refusal must not count as unhandled before then.
      found.catch(() => {});
      reads.set(key, found);
    }
    return found;
  };
  return {
    addTag: (add) => tags.load(add),
    // A step in a transaction of its own sends in it, alone.
    send: (scope, asked) => (scope.db === db ? sends.load({ scope, asked }) : sendOne({ scope, asked })),
    once,
    decision: (journeyId, nodeId) =>
      once(`split-decision:${journeyId}:${nodeId}`, () => routingDecision(kernel, journeyId, nodeId)),
    assignment: (key) => assignments.load(key),
  };
}

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
