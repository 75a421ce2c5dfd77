import type { Kysely } from 'kysely';
import { normalizeIdentity } from '../../contacts/identity/bind.js';
import type { Database } from '../../db/database.js';
import type { Dispatch } from '../dispatch.js';
import { claimKey, keepAnswer, lockAsUsual, lockBriefly, startOne, whileKeysLocked } from '../webhook/accept.js';
import type { WebhookAnswer } from '../webhook/intake.js';
import { StaleWebhookTargetError, type WebhookTarget } from '../webhook/webhook.js';
import type { CheckedStart } from './webhook-trigger.js';

/** The runs of a package webhook trigger's starts, committed, and their first jobs to queue. */
export interface StartedGroup {
  /** One per start, in its order: its run, or the first answer its idempotency key was given. */
  answers: WebhookAnswer[];
  dispatch: Dispatch[];
}

/**
 * Starts the runs one call of a package's webhook trigger asks for in ONE transaction: all of
 * them, or none when one fails (a contact that cannot be bound, the journey found changed:
 * StaleWebhookTargetError, a key another call holds: 409 after a wait). Each start is as a
 * `core.webhook` call's (`startOne`: its contact bound, re-entry, the entry cap); a start whose
 * idempotency key was answered within 24 hours (or by an earlier start of the same call) gets
 * that answer and starts nothing. Keys are claimed in their order first, so two calls naming
 * the same keys wait for each other rather than lock each other out.
 */
export async function startGroup(
  db: Kysely<Database>,
  target: WebhookTarget,
  starts: readonly CheckedStart[],
): Promise<StartedGroup> {
  // A malformed identity is refused (400) before anything is written.
  for (const start of starts) if (start.identity) normalizeIdentity(start.identity);
  const keys = [...new Set(starts.flatMap((s) => (s.idempotencyKey === null ? [] : [s.idempotencyKey])))].sort();
  return whileKeysLocked(() =>
    db.transaction().execute(async (trx) => {
      const answered = new Map<string, WebhookAnswer>();
      if (keys.length) {
        await lockBriefly(trx);
        for (const key of keys) {
          const first = await claimKey(trx, target, key);
          if (first) answered.set(key, first);
        }
        await lockAsUsual(trx);
      }
      const group: StartedGroup = { answers: [], dispatch: [] };
      for (const start of starts) {
        const key = start.idempotencyKey;
        const first = key === null ? undefined : answered.get(key);
        if (first) {
          group.answers.push(first);
          continue;
        }
        const { outcome, dispatch } = await startOne(trx, target, start.identity, start.payload);
        if (!('answer' in outcome)) throw new StaleWebhookTargetError();
        group.answers.push(outcome.answer);
        group.dispatch.push(dispatch);
        if (key === null) continue;
        await keepAnswer(trx, target, key, outcome.answer);
        answered.set(key, { ...outcome.answer, replayed: true });
      }
      return group;
    }),
  );
}
