import { type Context, context, propagation, type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { RateLimitedError } from '@waymark/sdk';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isUuid } from '../../../engine/db/ids.js';
import { tracer } from '../../../engine/observability/trace-context.js';

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
export interface HookCalls {
  /** Starts a call's span (at `startTime`, default now) and keeps it for the call's answer. */
  observe(request: FastifyRequest, startTime?: number): HookCall & { parent: Context };
  /** The call `observe` started for `request`, if any. */
  get(request: FastifyRequest): HookCall | undefined;
}

/**
 * Watches the webhook calls `app` answers: each is counted and its span ended once the answer
 * is sent, whatever answered (handler or error handler), also a call answered before its
 * handler ran (a body over the limit, the database down), its span from when the call arrived.
 */
export function watchHookCalls(app: FastifyInstance): HookCalls {
  const { db, metrics } = app.runtime;
  const observed = new WeakMap<FastifyRequest, HookCall>();
  const calls: HookCalls = {
    observe(request, startTime) {
      const { journeyId, nodeId } = request.params as { journeyId: string; nodeId: string };
      // A valid caller `traceparent` continues its trace; anything else starts a new one.
      const parent = propagation.extract(context.active(), request.headers);
      const span = tracer().startSpan(
        'waymark.webhook',
        {
          kind: SpanKind.SERVER,
          attributes: { 'waymark.journey.id': journeyId, 'waymark.node.id': nodeId },
          ...(startTime === undefined ? {} : { startTime }),
        },
        parent,
      );
      const call = { span, journey: null };
      observed.set(request, call);
      return { ...call, parent };
    },
    get: (request) => observed.get(request),
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
    const call = observed.get(request) ?? calls.observe(request, Date.now() - reply.elapsedTime);
    const { journeyId } = request.params as { journeyId: string };
    const journey = call.journey ?? (await knownJourney(journeyId));
    // Counted and ended whatever the lookup did: a call refused for the database is seen too.
    metrics.webhooks.inc({ journey, status: String(reply.statusCode) });
    call.span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) call.span.setStatus({ code: SpanStatusCode.ERROR });
    call.span.end();
  });
  return calls;
}
