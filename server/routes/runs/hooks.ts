import { type JsonObject, ValidationError, WaymarkError } from '@waymark/sdk';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isUuid } from '../../../engine/db/ids.js';
import { dispatcherFor } from '../../../engine/runs/dispatch.js';
import { WebhookAccepter } from '../../../engine/runs/webhook/accept.js';
import { ResponseAwaiter } from '../../../engine/runs/webhook/await-response.js';
import type { WebhookAnswer } from '../../../engine/runs/webhook/intake.js';
import {
  StaleWebhookTargetError,
  type WebhookTarget,
  webhookTarget,
  webhookVerdict,
} from '../../../engine/runs/webhook/webhook.js';
import { schemaDetails } from '../../../engine/schema-details.js';
import { parseJsonText } from '../../../engine/sdk/src/json-text.js';
import { sendError } from '../../plugins/errors.js';
import { unstorableTextError } from '../../plugins/storable-text.js';
import { journeyAnswer } from './hook-answers.js';
import { watchHookCalls } from './hook-calls.js';
import { closedTo, type Refuse } from './hook-closed.js';
import { acceptTriggerCall } from './hook-trigger-call.js';
import { hookSchema } from './hooks-schema.js';
import { textHeader } from './trigger-request.js';

const WEBHOOK_BODY_LIMIT = 1024 * 1024;

type HookRequest = FastifyRequest<{ Params: { journeyId: string; nodeId: string } }>;

/**
 * API.md "Webhook triggers": `POST /hooks/:journeyId/:nodeId`. This module finds the call's
 * target and answers core.webhook's calls (its secret or signature, the payload);
 * hook-trigger-call.ts a package trigger's, hook-closed.ts a paused or rate-limited journey's
 * refusal, hook-calls.ts each call's span and count.
 */
export async function hooksRoutes(app: FastifyInstance) {
  const { db, metrics } = app.runtime;
  const calls = watchHookCalls(app);
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
      ...calls.hooks,
    },
    async (request, reply) => {
      const { journeyId, nodeId } = request.params;
      // The call's span parents the run it starts (API.md "Tracing").
      return calls.within(request, async () => {
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

  async function accept(request: HookRequest, reply: FastifyReply, target: WebhookTarget) {
    const call = calls.get(request);
    call.journey = target.journeyId;
    call.span.setAttribute('waymark.journey.version', target.version.version);
    // A refusal must rest on the journey as it is now, not as it was cached.
    const refuse: Refuse = (answer) => {
      if (target.cached) throw new StaleWebhookTargetError();
      return answer();
    };
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const header = (name: string) => textHeader(request, name);
    // A package's trigger authenticates its calls itself, in its handler.
    if (target.trigger)
      return acceptTriggerCall({ app, calls, dispatcher, responses }, request, reply, target, raw, refuse);
    const webhookId = header('webhook-id');
    const given = {
      secret: header('x-waymark-secret'),
      signature: header('x-waymark-signature'),
      webhookId,
      webhookTimestamp: header('webhook-timestamp'),
      webhookSignature: header('webhook-signature'),
    };
    // Held to the address's failed-authentication limit also when guesses come all at once. A
    // cached target's refusal is answered, and so counted, from the fresh one (`refuse`).
    const verdict = await app.checkHookSecret(
      request,
      () => webhookVerdict(target.secret, given, raw),
      (v) => v !== 'ok' && !target.cached,
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
    if (await closedTo(db, call, reply, target, refuse)) return reply;
    let payload: unknown;
    try {
      payload = parseJsonText(raw.toString('utf8'));
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

  /** Answers a call with its run, or with what the run's core.respond step says when asked to wait for it. */
  async function respond(request: HookRequest, reply: FastifyReply, target: WebhookTarget, answer: WebhookAnswer) {
    const runId = answer.body.runId;
    if (runId && answer.statusCode === 202 && !answer.replayed) {
      // The run's trigger step, completed in this process (API.md "Metrics").
      metrics.triggered(target.node.type, 1);
    }
    if (runId) calls.get(request).span.setAttribute('waymark.run.id', runId);
    if (runId && (await journeyAnswer(responses, request, reply, target, runId))) return reply;
    return reply.code(answer.statusCode).send(answer.body);
  }
}
