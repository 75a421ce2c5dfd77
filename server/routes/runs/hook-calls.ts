import type { Span } from '@opentelemetry/api';
import type { RateLimitedError } from '@waymark/sdk';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isUuid } from '../../../engine/db/ids.js';
import { type RequestSpans, requestSpans } from '../../plugins/request-span.js';

/** A webhook call being answered: its span, and its journey once found. */
export interface HookCall {
  span: Span;
  journey: string | null;
  /**
   * The rate limit the call was counted against (`null`: its version had none) and the refusal
   * it met, if any. A call answered again from a fresh target is not counted twice under the
   * same limit, and a refusal met on a cached target is answered only once the fresh target
   * still has that limit (the journey may have been paused, or republished with another one).
   */
  rate?: { limit: string | null; refused: RateLimitedError | null };
}

/** The webhook calls of a plugin being answered: each one's span and metrics (API.md "Metrics", "Tracing"). */
export interface HookCalls extends Pick<RequestSpans, 'hooks' | 'within'> {
  /** The call being answered (its span opened when it arrived). */
  get(request: FastifyRequest): HookCall;
}

/**
 * Watches the webhook calls `app` answers: each is counted once the answer is sent, whatever
 * answered (handler or error handler), also a call answered before its handler ran (a body
 * over the limit, the database down). Its `waymark.webhook` span is the route's request span
 * (`requestSpans`, with the route's `calls.hooks`), from when the call arrived.
 */
export function watchHookCalls(app: FastifyInstance): HookCalls {
  const { db, metrics } = app.runtime;
  const spans = requestSpans('waymark.webhook', (request) => {
    const { journeyId, nodeId } = request.params as { journeyId: string; nodeId: string };
    return { 'waymark.journey.id': journeyId, 'waymark.node.id': nodeId };
  });
  const observed = new WeakMap<FastifyRequest, HookCall>();
  const calls: HookCalls = {
    hooks: spans.hooks,
    within: spans.within,
    get(request) {
      let call = observed.get(request);
      if (!call) {
        call = { span: spans.span(request), journey: null };
        observed.set(request, call);
      }
      return call;
    },
  };
  /**
   * The journey label of a call no target was found for: its id if such a journey exists;
   * `unknown` when that cannot be read. While the database is known to be down it is not
   * asked, so the answer's count and span do not wait on a statement that cannot be answered.
   */
  async function knownJourney(journeyId: string): Promise<string> {
    if (!isUuid(journeyId) || !app.runtime.health.ok) return 'unknown';
    try {
      const row = await db.selectFrom('journeys').select('id').where('id', '=', journeyId).executeTakeFirst();
      return row ? row.id : 'unknown';
    } catch {
      return 'unknown';
    }
  }
  app.addHook('onResponse', async (request, reply) => {
    const { journeyId } = request.params as { journeyId: string };
    const journey = observed.get(request)?.journey ?? (await knownJourney(journeyId));
    // Counted whatever the lookup did: a call refused for the database is seen too.
    metrics.webhooks.inc({ journey, status: String(reply.statusCode) });
  });
  return calls;
}
