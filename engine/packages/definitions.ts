import {
  type AnyNodeDefinition,
  type CredentialDefinition,
  type CredentialEvents,
  type CredentialSender,
  type HttpClient,
  type JsonObject,
  type PackageDefinition,
  type PollResult,
  type PollTrigger,
  type ProviderAnswer,
  type ProviderContext,
  type ProviderEvent,
  type ProviderRequest,
  RetryableError,
  type TriggerContext,
  WaymarkError,
  type WebhookTrigger,
  type WebhookTriggerResult,
} from '@waymark/sdk';
import { TriggerFailedError } from '../runs/triggers/errors.js';
import { callsDefinitions, definitionOf, type PackageDescription } from './description.js';
import type { Materialized } from './files.js';
import { DefinitionThread } from './isolation/definition-calls.js';
import { QUEUE_LIMIT_MS } from './isolation/thread-pool.js';
import {
  type CredentialCall,
  describedBy,
  type Failure,
  LOAD_LIMIT_MS,
  PackageThreads,
  type TriggerCall,
} from './isolation/thread-run.js';

/** Beyond the thread's own limits, so that the thread's `step.timeout` is the one the step gets. */
const GRACE_MS = 1_000;

/**
 * A laid-out package as the main thread knows it, without ever importing it (contract
 * packages.md "Isolation and reach": its top-level code and every function of its
 * definition run in threads). A thread imports it and describes it in plain data; the
 * description becomes the definition, each node's `outputs`, `validate`, `readsContact` and
 * `readsSteps` functions calls into the package version's definitions thread, and `run`
 * stands for the function that `threaded` sends to its step threads. Throws with why it is
 * not a `definePackage(...)` value (a throw on import keeps its message). CommonJS compiled
 * from `export default` is unwrapped.
 */
export async function importPackage(files: Materialized): Promise<PackageDefinition> {
  const label = `${files.manifest.name}@${files.manifest.version}`;
  const calls = new DefinitionThread(files, label);
  const worker = calls.start();
  const described = (await describedBy(worker).catch((error: unknown) => {
    calls.stop();
    throw error;
  })) as PackageDescription | null;
  let pkg: PackageDefinition;
  try {
    pkg = definitionOf(described, calls);
  } catch (error) {
    calls.stop();
    throw error;
  }
  // A package without definition functions never calls its definitions thread.
  if (callsDefinitions(described)) calls.rest();
  else calls.stop();
  return pkg;
}

/**
 * The package as the engine uses it: each node's `run` goes to one of the package version's
 * worker threads (`PackageThreads`, one attempt at a time each) under the node's time limit
 * (`timeoutMs`, else `defaultTimeoutMs`, counted from when `run` starts there); the rest of the
 * definition is as `importPackage` made it.
 */
export function threaded(pkg: PackageDefinition, files: Materialized, defaultTimeoutMs: number): PackageDefinition {
  const threads = new PackageThreads(files);
  const nodes = pkg.nodes.map((node): AnyNodeDefinition => {
    const limitMs = typeof node.timeoutMs === 'number' && node.timeoutMs > 0 ? node.timeoutMs : defaultTimeoutMs;
    const target = { type: node.type, version: node.version, limitMs };
    return {
      ...node,
      ...triggerThreaded(node, threads, limitMs),
      // An attempt may wait for a thread (up to QUEUE_LIMIT_MS) and a new thread loads the
      // package (up to LOAD_LIMIT_MS) before its `run`'s limit starts.
      timeoutMs: QUEUE_LIMIT_MS + LOAD_LIMIT_MS + limitMs + GRACE_MS,
      run: (ctx) => threads.run(target, ctx as never) as never,
    } as AnyNodeDefinition;
  });
  const credentials = pkg.credentials?.map((credential) => credentialThreaded(credential, threads, defaultTimeoutMs));
  return { ...pkg, nodes, ...(credentials ? { credentials } : {}) };
}

/**
 * A trigger's `webhook.handle` and `poll` functions, run in the package's threads (contract
 * packages.md "Isolation and reach"): `handle` under the node's `timeoutMs`, else
 * `HOOK_LIMIT_MS` (a provider waits for the answer); `poll.run` and `poll.every` under the
 * node's time limit. A timeout or a crash fails the call with `TriggerFailedError`.
 */
function triggerThreaded(
  node: AnyNodeDefinition,
  threads: PackageThreads,
  limitMs: number,
): Pick<AnyNodeDefinition, 'webhook' | 'poll'> {
  const { type, version, webhook, poll } = node;
  const failed: Failure = (message) => new TriggerFailedError(message);
  const own = typeof node.timeoutMs === 'number' && node.timeoutMs > 0;
  const call = (fn: TriggerCall['fn'], args: unknown[], ctxData: Record<string, unknown>) => ({
    type,
    version,
    fn,
    args,
    ctxData,
  });
  const data = (ctx: TriggerContext<unknown>) => ({ params: ctx.params, now: ctx.now().getTime() });
  const threadedWebhook: WebhookTrigger<never> | undefined = webhook && {
    handle: async (request, ctx) =>
      (await threads.trigger(
        call('handle', [request], data(ctx)),
        { credentials: ctx.credentials },
        ctx.log,
        own ? limitMs : HOOK_LIMIT_MS,
        failed,
      )) as WebhookTriggerResult,
  };
  const every = poll?.every;
  const threadedPoll: PollTrigger<never> | undefined = poll && {
    ...(typeof every === 'function'
      ? {
          every: (async (params: unknown) =>
            threads.trigger(
              call('every', [], { params, now: Date.now() }),
              { credentials: null },
              undefined,
              limitMs,
              failed,
            )) as unknown as (params: never) => string,
        }
      : every !== undefined
        ? { every }
        : {}),
    run: async (ctx) =>
      (await threads.trigger(
        call('run', [], { ...data(ctx), state: ctx.state }),
        { credentials: ctx.credentials, http: ctx.http },
        ctx.log,
        limitMs,
        failed,
      )) as PollResult,
  };
  return {
    ...(threadedWebhook ? { webhook: threadedWebhook } : {}),
    ...(threadedPoll ? { poll: threadedPoll } : {}),
  };
}

/**
 * A provider's webhook functions' time limit (verify, parse, handshake): a provider waits for
 * its answer, and a signature check is quick.
 */
export const HOOK_LIMIT_MS = 10_000;

/** A send that timed out or crashed: as a provider that does not answer (NODES.md "Step error codes"). */
const unanswered: Failure = (message) =>
  new RetryableError(`provider.unavailable: ${message}`, { code: 'provider.unavailable' });

/** A webhook function that timed out or crashed: 503, and the provider sends the request again. */
const hookFailed: Failure = (message) => new WaymarkError('unavailable', message);

/** A provider request as it crosses to a thread: its body a copy of its own bytes only. */
const wired = (request: ProviderRequest) => ({ ...request, rawBody: new Uint8Array(request.rawBody) });

const eventTypes = new Set<ProviderEvent['type']>([
  'delivered',
  'bounced',
  'complained',
  'sms.delivered',
  'sms.failed',
  'sms.opted-out',
  'sms.opted-in',
]);

/** What `answer` answered, checked: null, or a body and its content type, both text. */
function answerOf(value: unknown, type: string): ProviderAnswer | null {
  if (value === null || value === undefined) return null;
  const { contentType, body } = value as Partial<ProviderAnswer>;
  if (typeof contentType === 'string' && typeof body === 'string') return { contentType, body };
  throw new Error(`${type} events.answer did not answer null or { contentType, body } as text`);
}

/** What `parse` answered, checked: one event (an id and a known type) or null per record. */
function parsedEvents(value: unknown, type: string): (ProviderEvent | null)[] {
  const event = (e: unknown) =>
    e === null ||
    (typeof e === 'object' && typeof (e as ProviderEvent).id === 'string' && eventTypes.has((e as ProviderEvent).type));
  if (Array.isArray(value) && value.every(event)) return value as (ProviderEvent | null)[];
  throw new Error(`${type} events.parse did not answer a list of { id, type } events or nulls`);
}

/**
 * A credential type whose `sender.send` and `events` functions run in the package's threads
 * (contract packages.md "Isolation and reach"), as its nodes' `run` does: `ctx.http` is the
 * caller's client (Waymark's, with its address rule), the rest of `ctx` plain data. A send
 * that passes `limitMs` or whose thread crashes fails `provider.unavailable` (retried), as a
 * provider that does not answer does (NODES.md "Step error codes"); a webhook function,
 * `HOOK_LIMIT_MS`, and the webhook answers 503 `unavailable` (the provider sends it again).
 */
function credentialThreaded(
  credential: CredentialDefinition,
  threads: PackageThreads,
  limitMs: number,
): CredentialDefinition {
  const { type, sender, events } = credential;
  const call = (part: CredentialCall['part'], fn: CredentialCall['fn'], args: unknown[], ctxData?: JsonObject) => ({
    type,
    part,
    fn,
    args,
    ...(ctxData ? { ctxData } : {}),
  });
  const threadedSender: CredentialSender | undefined = sender && {
    channel: sender.channel,
    async send(message, ctx) {
      const ctxData = { data: ctx.data, idempotencyKey: ctx.idempotencyKey, publicUrl: ctx.publicUrl };
      const value = await threads.credential(call('sender', 'send', [message], ctxData), ctx.http, limitMs, unanswered);
      const providerId = (value as { providerId?: unknown } | null)?.providerId;
      return typeof providerId === 'string' ? { providerId } : {};
    },
  };
  const hook = (fn: CredentialCall['fn'], args: unknown[], http: HttpClient | null, ctxData?: JsonObject) =>
    threads.credential(call('events', fn, args, ctxData), http, HOOK_LIMIT_MS, hookFailed);
  const threadedEvents: CredentialEvents | undefined = events && {
    provider: events.provider,
    verify: async (request, data, ctx) => (await hook('verify', [wired(request), data], ctx.http, {})) === true,
    parse: async (request) => parsedEvents(await hook('parse', [wired(request)], null), type),
    ...(events.handshake
      ? {
          handshake: async (request: ProviderRequest, data: JsonObject, ctx: ProviderContext) => {
            await hook('handshake', [wired(request), data], ctx.http, {});
          },
        }
      : {}),
    ...(events.answer
      ? { answer: async (request: ProviderRequest) => answerOf(await hook('answer', [wired(request)], null), type) }
      : {}),
  };
  return {
    ...credential,
    ...(threadedSender ? { sender: threadedSender } : {}),
    ...(threadedEvents ? { events: threadedEvents } : {}),
  };
}
