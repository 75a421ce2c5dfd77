import { randomUUID } from 'node:crypto';
import type { AnyNodeDefinition } from '../define-node.js';
import type { JsonObject, JsonValue } from '../json.js';
import type { HttpResponse } from '../services.js';
import type { PollContext, PollResult, TriggerContext, TriggerRequest, WebhookTriggerResult } from '../triggers.js';
import { memoryCredentials, memoryHttp, type RecordedRequest } from './memory-services.js';
import { validateParams } from './params.js';
import { type LogLine, memoryLogger, type StoredCredential, storedCredentials } from './run-node.js';

/** What a trigger's test gives besides the call: the node's params and stored credentials. */
interface TriggerOptions {
  /** The node's params as a journey holds them: validated, defaults filled, templates not rendered. */
  params: unknown;
  /** Stored credentials by id, as `runNode` takes them. */
  credentials?: Record<string, StoredCredential | JsonObject>;
  now?: Date;
}

export interface RunWebhookOptions extends TriggerOptions {
  /**
   * The provider's call: `body` as text (what a signature is computed over) or a JSON value,
   * sent as its JSON text; header names are lower-cased, as Waymark gives them.
   */
  request: {
    method?: string;
    headers?: Record<string, string>;
    query?: Record<string, string>;
    body?: string | JsonValue;
  };
}

export interface RunPollOptions extends TriggerOptions {
  /** What the last poll kept (`ctx.state`); default null, the first poll. */
  state?: JsonValue | null;
  /** Answers `ctx.http` requests. */
  http?: (request: RecordedRequest) => HttpResponse | Promise<HttpResponse>;
}

/** A trigger's context as the engine builds it: params checked, credentials of the node's types. */
function triggerContext(node: AnyNodeDefinition, options: TriggerOptions, logs: LogLine[]): TriggerContext<never> {
  const params = structuredClone(options.params ?? {});
  validateParams(node, params);
  const clock = options.now ?? new Date();
  const credentials = storedCredentials(options.credentials ?? {}, node.credentials ?? []);
  return {
    params: params as never,
    credentials: memoryCredentials(credentials, node.credentials ?? []),
    log: memoryLogger(logs),
    now: () => new Date(clock.getTime()),
  };
}

const parsed = (body: string): JsonValue | undefined => {
  try {
    return JSON.parse(body) as JsonValue;
  } catch {
    return undefined;
  }
};

/**
 * Calls a webhook trigger's `handle` with one request, as a provider's call to the journey's
 * hook URL reaches it: its answer, or the `TriggerRefusal` it throws (`refuse(401, …)`).
 *
 * @example
 * const { result } = await runWebhook(orderCreated, {
 *   params: { shop: 'cred-1' },
 *   credentials: { 'cred-1': { secret: 'shh' } },
 *   request: { headers: { 'x-acme-hmac-sha256': signature }, body: '{"id":1,"email":"ada@example.com"}' },
 * });
 * expect(result.starts[0]?.contact).toEqual({ email: 'ada@example.com' });
 */
export async function runWebhook(
  node: AnyNodeDefinition,
  options: RunWebhookOptions,
): Promise<{ result: WebhookTriggerResult; logs: LogLine[] }> {
  if (!node.webhook) throw new Error(`${node.type}@${node.version} has no webhook`);
  const logs: LogLine[] = [];
  const ctx = triggerContext(node, options, logs);
  const { method = 'POST', headers = {}, query = {}, body = '' } = options.request;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const request: TriggerRequest = {
    method,
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
    query,
    body: text,
    json: parsed(text),
  };
  return { result: await node.webhook.handle(request, ctx), logs };
}

/**
 * Calls a polling trigger's `run` once, as the engine does when it is due: what it found and
 * the state it keeps, with its HTTP calls and log lines.
 *
 * @example
 * const { result } = await runPoll(newRow, {
 *   params: { sheet: 's1', account: 'cred-1' },
 *   credentials: { 'cred-1': { token: 't' } },
 *   state: 3,
 *   http: async () => ({ status: 200, headers: {}, body: [{ id: 'r4', row: 4, email: 'ada@example.com' }] }),
 * });
 * expect(result.state).toBe(4);
 */
export async function runPoll(
  node: AnyNodeDefinition,
  options: RunPollOptions,
): Promise<{ result: PollResult; http: RecordedRequest[]; logs: LogLine[] }> {
  if (!node.poll) throw new Error(`${node.type}@${node.version} has no poll`);
  const logs: LogLine[] = [];
  const http: RecordedRequest[] = [];
  const ctx: PollContext<never> = {
    ...triggerContext(node, options, logs),
    http: memoryHttp(http, `test:poll:${randomUUID()}`, options.http),
    state: options.state ?? null,
  };
  return { result: await node.poll.run(ctx), http, logs };
}
