import { type Context, context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  type AnyNodeDefinition,
  type JsonObject,
  RateLimitedError,
  TriggerRefusal,
  ValidationError,
  WaymarkError,
} from '@waymark/sdk';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isUuid } from '../../../engine/db/ids.js';
import { tracer } from '../../../engine/observability/trace-context.js';
import { dispatcherFor } from '../../../engine/runs/dispatch.js';
import { TriggerFailedError } from '../../../engine/runs/triggers/errors.js';
import { type HandledCall, handleWebhookTrigger } from '../../../engine/runs/triggers/webhook-trigger.js';
import { WebhookAccepter } from '../../../engine/runs/webhook/accept.js';
import { ResponseAwaiter } from '../../../engine/runs/webhook/await-response.js';
import type { WebhookAnswer } from '../../../engine/runs/webhook/intake.js';
import { startGroup } from '../../../engine/runs/webhook/keyed-starts.js';
import { enforceWebhookRateLimit } from '../../../engine/runs/webhook/rate-limit.js';
import {
  StaleWebhookTargetError,
  type WebhookTarget,
  webhookTarget,
  webhookVerdict,
} from '../../../engine/runs/webhook/webhook.js';
import { schemaDetails } from '../../../engine/schema-details.js';
import { sendError } from '../../plugins/errors.js';
import { unstorableTextError } from '../../plugins/storable-text.js';
import { journeyAnswer, sendJson } from './hook-answers.js';
import { hookSchema } from './hooks-schema.js';
import { refusalCode, textHeader, triggerRequest } from './trigger-request.js';

const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/** A webhook call being answered: its span, and its journey once found. */
interface Observed {
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

/** API.md "Webhook triggers": `POST /hooks/:journeyId/:nodeId`. */
export async function hooksRoutes(app: FastifyInstance) {
  const { db, metrics } = app.runtime;
  const observed = new WeakMap<FastifyRequest, Observed>();
  // Counted and the span ended once the answer is sent, whatever answered (handler or error handler).
  app.addHook('onResponse', async (request, reply) => {
    // A call answered before its handler ran (a body over the limit, the database down) is
    // counted and traced too, its span from when the call arrived.
    const call = observed.get(request) ?? observe(request, Date.now() - reply.elapsedTime);
    const { journeyId } = request.params as { journeyId: string };
    const journey = call.journey ?? (await knownJourney(journeyId));
    // Counted and ended whatever the lookup did: a call refused for the database is seen too.
    metrics.webhooks.inc({ journey, status: String(reply.statusCode) });
    call.span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) call.span.setStatus({ code: SpanStatusCode.ERROR });
    call.span.end();
  });
  /** Starts a call's span (at `startTime`, default now) and keeps it for the call's answer. */
  function observe(request: FastifyRequest, startTime?: number): Observed & { parent: Context } {
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
  }
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
  const dispatcher = dispatcherFor(db, app.runtime.logger);
  const accepter = new WebhookAccepter(db, app.runtime.intakeDb, dispatcher);
  const responses = new ResponseAwaiter(db);
  // Calls accepted are answered, and their jobs queued, before the pool closes.
  app.addHook('onClose', () => accepter.drain());
  // The raw bytes are needed for the HMAC, so this plugin reads every body as a buffer.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );

  app.post<{ Params: { journeyId: string; nodeId: string } }>(
    '/hooks/:journeyId/:nodeId',
    {
      bodyLimit: WEBHOOK_BODY_LIMIT,
      schema: hookSchema,
    },
    async (request, reply) => {
      const { journeyId, nodeId } = request.params;
      const { span, parent } = observe(request);
      return context.with(trace.setSpan(parent, span), async () => {
        if (!isUuid(journeyId)) return sendError(reply, 'not_found', `no published journey ${journeyId}`);
        const { registry } = app.runtime;
        return accept(request, reply, await webhookTarget(db, journeyId, nodeId, { registry })).catch(async (error) => {
          // The journey changed since its target was cached: answer from what it is now.
          if (!(error instanceof StaleWebhookTargetError)) throw error;
          return accept(request, reply, await webhookTarget(db, journeyId, nodeId, { fresh: true, registry }));
        });
      });
    },
  );

  async function accept(
    request: FastifyRequest<{ Params: { journeyId: string; nodeId: string } }>,
    reply: FastifyReply,
    target: WebhookTarget,
  ) {
    const call = observed.get(request);
    if (call) {
      call.journey = target.journeyId;
      call.span.setAttribute('waymark.journey.version', target.version.version);
    }
    // A refusal must rest on the journey as it is now, not as it was cached.
    const refuse = <T>(answer: () => T): T => {
      if (target.cached) throw new StaleWebhookTargetError();
      return answer();
    };
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const header = (name: string) => textHeader(request, name);
    // A package's trigger authenticates its calls itself, in its handler.
    if (target.trigger) return acceptTriggerCall(request, reply, target, raw, refuse);
    const webhookId = header('webhook-id');
    const verdict = webhookVerdict(
      target.secret,
      {
        secret: header('x-waymark-secret'),
        signature: header('x-waymark-signature'),
        webhookId,
        webhookTimestamp: header('webhook-timestamp'),
        webhookSignature: header('webhook-signature'),
      },
      raw,
    );
    if (verdict === 'stale')
      return refuse(() =>
        sendError(reply, 'unauthorized', 'webhook-timestamp is more than 5 minutes from the server’s clock'),
      );
    if (verdict !== 'ok')
      return refuse(() =>
        sendError(
          reply,
          'unauthorized',
          'a valid X-Waymark-Secret, X-Waymark-Signature or Standard Webhooks signature is required',
        ),
      );
    // A `webhook-id` is the idempotency key, also when an Idempotency-Key is sent: under a
    // Standard Webhooks signature it is signed, so a replay cannot dodge it with a new header.
    const key = webhookId || header('idempotency-key') || null;
    // A repeat of an answered call gets its first answer, whatever it carries, and takes no
    // place under the rate limit: a sender retrying an accepted call is not refused for it.
    const replayed = key === null ? null : await accepter.replay(target, key);
    if (replayed) return respond(request, reply, target, replayed);
    const closed = await closedTo(request, reply, target, refuse);
    if (closed) return closed;
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      return refuse(() => sendError(reply, 'invalid_json', 'the body is not valid JSON'));
    }
    if (!payload || typeof payload !== 'object' || Array.isArray(payload))
      return refuse(() => {
        throw new ValidationError('the payload must be a JSON object', [{ path: '', message: 'expected an object' }]);
      });
    const unstorable = unstorableTextError('payload', payload);
    if (unstorable)
      return refuse(() => {
        throw unstorable;
      });
    const { validate } = target;
    if (validate && !validate(payload)) {
      const details = schemaDetails(validate.errors, { label: 'payload' });
      return refuse(() => {
        throw new WaymarkError('schema_mismatch', 'the payload does not match the webhook’s schema', details);
      });
    }
    return respond(request, reply, target, await accepter.accept(target, payload as JsonObject, key));
  }

  /**
   * The refusal of a call its journey takes none of now: paused (409) or over its rate limit
   * (429, counted once per limit however often the call is answered again); null when it may
   * start runs.
   */
  async function closedTo(
    request: FastifyRequest,
    reply: FastifyReply,
    target: WebhookTarget,
    refuse: <T>(answer: () => T) => T,
  ): Promise<FastifyReply | null> {
    if (target.status === 'paused')
      return refuse(() => sendError(reply, 'journey_paused', 'the journey is paused; its webhook starts nothing'));
    const call = observed.get(request);
    const limit = target.version.settings.webhookRateLimit;
    const limitKey = limit ? JSON.stringify([limit.max, limit.window]) : null;
    let rate = call?.rate;
    if (!rate || rate.limit !== limitKey) {
      rate = { limit: limitKey, refused: await rateRefusal(target) };
      if (call) call.rate = rate;
    }
    const { refused } = rate;
    if (!refused) return null;
    return refuse(() => {
      throw refused;
    });
  }

  /**
   * A call of a package's webhook trigger (SDK README "Triggers"): a paused journey or one over
   * its rate limit refuses it as core.webhook's; then its handler decides (a refusal answers its
   * status), and the starts it asks for begin in one transaction (`startGroup`: each as a
   * webhook call's, all or none). The answer, once they are committed: the handler's
   * `response`; else, for a lone start that began a run with `Prefer: wait`, its core.respond
   * answer as core.webhook gives it; else 202 `{ runIds }` (200 when none started).
   */
  async function acceptTriggerCall(
    request: FastifyRequest<{ Params: { journeyId: string; nodeId: string } }>,
    reply: FastifyReply,
    target: WebhookTarget,
    raw: Buffer,
    refuse: <T>(answer: () => T) => T,
  ) {
    const trigger = target.trigger as AnyNodeDefinition;
    const closed = await closedTo(request, reply, target, refuse);
    if (closed) return closed;
    const key = textHeader(request, 'idempotency-key') ?? null;
    let handled: HandledCall;
    try {
      handled = await handleWebhookTrigger(app.runtime, target, trigger, triggerRequest(request, raw), key);
    } catch (error) {
      if (!(error instanceof TriggerRefusal)) throw error;
      return sendError(reply, refusalCode(error.status), error.message);
    }
    for (const start of handled.starts) {
      const unstorable = unstorableTextError('payload', start.payload);
      if (unstorable) throw new TriggerFailedError(`${trigger.type} webhook.handle: ${unstorable.message}`);
    }
    const { answers, dispatch } = await startGroup(db, target, handled.starts);
    for (const jobs of dispatch) dispatcher.add(jobs);
    const started = answers.filter((a) => a.statusCode === 202 && !a.replayed).length;
    if (started) metrics.triggered(target.node.type, started);
    const runIds = answers.map((a) => a.body.runId);
    const lone = answers.length === 1 ? answers[0]?.body.runId : null;
    if (lone) observed.get(request)?.span.setAttribute('waymark.run.id', lone);
    const status = runIds.some((id) => id !== null) ? 202 : 200;
    if (handled.response)
      return sendJson(reply, handled.response.status ?? status, handled.response.body ?? { runIds });
    // Several runs: no one run's answer stands for the call; it is answered at once.
    const waited = lone ? await journeyAnswer(responses, request, reply, target, lone) : null;
    return waited ?? sendJson(reply, status, { runIds });
  }

  /** Counts the call against its journey's webhook rate limit: the refusal when it is over, else null. */
  async function rateRefusal(target: WebhookTarget): Promise<RateLimitedError | null> {
    try {
      await enforceWebhookRateLimit(db, target);
      return null;
    } catch (error) {
      if (error instanceof RateLimitedError) return error;
      throw error;
    }
  }

  /** Answers a call with its run, or with what the run's core.respond step says when asked to wait for it. */
  async function respond(
    request: FastifyRequest<{ Params: { journeyId: string; nodeId: string } }>,
    reply: FastifyReply,
    target: WebhookTarget,
    answer: WebhookAnswer,
  ) {
    const call = observed.get(request);
    const runId = answer.body.runId;
    if (runId && answer.statusCode === 202 && !answer.replayed) {
      // The run's trigger step, completed in this process (API.md "Metrics").
      metrics.triggered(target.node.type, 1);
    }
    if (runId) call?.span.setAttribute('waymark.run.id', runId);
    const waited = runId ? await journeyAnswer(responses, request, reply, target, runId) : null;
    return waited ?? reply.code(answer.statusCode).send(answer.body);
  }
}
