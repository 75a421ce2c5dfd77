import { RateLimitedError } from '@waymark/sdk';
import type { FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../../engine/db/database.js';
import { enforceWebhookRateLimit } from '../../../engine/runs/webhook/rate-limit.js';
import type { WebhookTarget } from '../../../engine/runs/webhook/webhook.js';
import { sendError } from '../../plugins/errors.js';
import type { HookCall } from './hook-calls.js';

/** Answers a refusal, or throws to answer it again from a fresh target when the target was cached. */
export type Refuse = <T>(answer: () => T) => T;

/**
 * Refuses a call its journey takes none of now: paused (409) or over its rate limit (429,
 * counted once per limit however often the call is answered again). True when the call is
 * answered, false when it may start runs. (Not the reply itself: a reply is a thenable that
 * settles once sent, so through an `await` it came back undefined, and a refused call went on.)
 */
export async function closedTo(
  db: Kysely<Database>,
  call: HookCall | undefined,
  reply: FastifyReply,
  target: WebhookTarget,
  refuse: Refuse,
): Promise<boolean> {
  if (target.status === 'paused') {
    refuse(() => sendError(reply, 'journey_paused', 'the journey is paused; its webhook starts nothing'));
    return true;
  }
  const limit = target.version.settings.webhookRateLimit;
  const limitKey = limit ? JSON.stringify([limit.max, limit.window]) : null;
  let rate = call?.rate;
  if (!rate || rate.limit !== limitKey) {
    rate = { limit: limitKey, refused: await rateRefusal(db, target) };
    if (call) call.rate = rate;
  }
  const { refused } = rate;
  if (!refused) return false;
  return refuse((): never => {
    throw refused;
  });
}

/** Counts the call against its journey's webhook rate limit: the refusal when it is over, else null. */
async function rateRefusal(db: Kysely<Database>, target: WebhookTarget): Promise<RateLimitedError | null> {
  try {
    await enforceWebhookRateLimit(db, target);
    return null;
  } catch (error) {
    if (error instanceof RateLimitedError) return error;
    throw error;
  }
}
