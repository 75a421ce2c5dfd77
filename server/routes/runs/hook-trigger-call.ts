import { type AnyNodeDefinition, TriggerRefusal } from '@waymark/sdk';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JobDispatcher } from '../../../engine/runs/dispatch.js';
import { TriggerFailedError } from '../../../engine/runs/triggers/errors.js';
import { handleWebhookTrigger } from '../../../engine/runs/triggers/webhook-trigger.js';
import type { ResponseAwaiter } from '../../../engine/runs/webhook/await-response.js';
import { startGroup } from '../../../engine/runs/webhook/keyed-starts.js';
import type { WebhookTarget } from '../../../engine/runs/webhook/webhook.js';
import { sendError } from '../../plugins/errors.js';
import { unstorableTextError } from '../../plugins/storable-text.js';
import { journeyAnswer, sendJson } from './hook-answers.js';
import type { HookCalls } from './hook-calls.js';
import { closedTo, type Refuse } from './hook-closed.js';
import { refusalCode, textHeader, triggerRequest } from './trigger-request.js';

/** A handler's refusal, as its answer; anything else it throws stays thrown. */
function refusal(error: unknown): TriggerRefusal {
  if (error instanceof TriggerRefusal) return error;
  throw error;
}

/** What the webhook plugin answers a package trigger's call with. */
export interface TriggerCallDeps {
  app: FastifyInstance;
  calls: HookCalls;
  dispatcher: JobDispatcher;
  responses: ResponseAwaiter;
}

/**
 * A call of a package's webhook trigger (SDK README "Triggers"): a paused journey or one over
 * its rate limit refuses it as core.webhook's; then its handler decides (a refusal answers its
 * status), and the starts it asks for begin in one transaction (`startGroup`: each as a
 * webhook call's, all or none). The answer, once they are committed: the handler's
 * `response`; else, for a lone start that began a run with `Prefer: wait`, its core.respond
 * answer as core.webhook gives it; else 202 `{ runIds }` (200 when none started).
 */
export async function acceptTriggerCall(
  { app, calls, dispatcher, responses }: TriggerCallDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  target: WebhookTarget,
  raw: Buffer,
  refuse: Refuse,
) {
  const { db, metrics } = app.runtime;
  const trigger = target.trigger as AnyNodeDefinition;
  if (await closedTo(db, calls.get(request), reply, target, refuse)) return reply;
  const key = textHeader(request, 'idempotency-key') ?? null;
  // The handler authenticates the call: it runs held to the address's failed-authentication
  // limit (its 401 refusal counts as one), so guesses sent at once cannot outrun the limit.
  const handled = await app.checkHookSecret(
    request,
    () => handleWebhookTrigger(app.runtime, target, trigger, triggerRequest(request, raw), key).catch(refusal),
    (answer) => answer instanceof TriggerRefusal && answer.status === 401,
  );
  if (handled instanceof TriggerRefusal) return sendError(reply, refusalCode(handled.status), handled.message);
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
  if (lone) calls.get(request).span.setAttribute('waymark.run.id', lone);
  const status = runIds.some((id) => id !== null) ? 202 : 200;
  if (handled.response) return sendJson(reply, handled.response.status ?? status, handled.response.body ?? { runIds });
  // Several runs: no one run's answer stands for the call; it is answered at once.
  if (lone && (await journeyAnswer(responses, request, reply, target, lone))) return reply;
  return sendJson(reply, status, { runIds });
}
