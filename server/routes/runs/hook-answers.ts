import type { FastifyReply, FastifyRequest } from 'fastify';
import { preferredWait, type ResponseAwaiter, respondNodesOf } from '../../../engine/runs/webhook/await-response.js';
import type { WebhookTarget } from '../../../engine/runs/webhook/webhook.js';
import { textHeader } from './trigger-request.js';

/** Answers `body` as JSON exactly as given: a journey's or a package handler's, not one the route's schema serializes. */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .serializer((value: unknown) => JSON.stringify(value))
    .send(body);
}

/**
 * Synchronous mode (server README "Synchronous webhooks"): with `Prefer: wait` to a journey that
 * has core.respond, answers the call with `runId`'s first core.respond step, sent with
 * `Waymark-Run-Id` and `Preference-Applied`, and says true; false when the call asks for no
 * wait, the journey has no such step, the run does not answer in time or its answer cannot be
 * read (the caller then answers as usual). A boolean, not the reply: see `closedTo`.
 */
export async function journeyAnswer(
  responses: ResponseAwaiter,
  request: FastifyRequest,
  reply: FastifyReply,
  target: WebhookTarget,
  runId: string,
): Promise<boolean> {
  const wait = preferredWait(textHeader(request, 'prefer'));
  const respondNodes = respondNodesOf(target.version);
  if (wait === null || !respondNodes.length) return false;
  // The run is committed: a failed look for its answer (the database gone meanwhile) answers
  // as a wait that passed, 202 with the run. The error handler's 503 would say nothing was
  // accepted, and a sender retrying it would start the run again.
  const response = await responses.wait(runId, respondNodes, wait * 1000).catch((error: unknown) => {
    request.log.warn({ err: (error as Error).message, runId }, 'the run’s core.respond answer could not be read');
    return null;
  });
  if (!response) return false;
  reply.header('waymark-run-id', runId).header('preference-applied', `wait=${wait}`);
  sendJson(reply, response.status, response.body);
  return true;
}
