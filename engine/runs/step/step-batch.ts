import type { TagState } from '@waymark/sdk';
import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import { addTags, type TagAdd } from '../../contacts/tags.js';
import type { Database } from '../../db/database.js';
import { type DecisionReader, type RoutingDecision, routingDecision } from '../../experiments/decisions.js';
import type { StepBatchServices } from '../../services/step-scope.js';

export interface StepBatch extends StepBatchServices {
  decision: DecisionReader;
}

/**
 * What the tokens of one step batch share so that their reads and writes go set-based: tag
 * additions made in the same tick leave in ONE statement (a batch's tag nodes run side by
 * side), and a split's standing decision is read once per node. Made per batch: a decision
 * taken while a batch runs applies from the next batch.
 */
export function createStepBatch(db: Kysely<Database>): StepBatch {
  const tags = new DataLoader<TagAdd, TagState>(
    async (adds) => {
      try {
        return await addTags(db, adds);
      } catch {
        // One unknown contact fails the statement: each addition again alone, so only it fails.
        return Promise.all(adds.map((add) => addTags(db, [add]).then(([state]) => state as TagState, toError)));
      }
    },
    { cache: false, maxBatchSize: 500 },
  );
  const decisions = new Map<string, Promise<RoutingDecision | null>>();
  return {
    addTag: (add) => tags.load(add),
    decision: (journeyId, nodeId) => {
      const key = `${journeyId}:${nodeId}`;
      let found = decisions.get(key);
      if (!found) {
        found = routingDecision(db, journeyId, nodeId);
        decisions.set(key, found);
      }
      return found;
    },
  };
}

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
