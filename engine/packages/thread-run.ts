import { Worker } from 'node:worker_threads';
import { type NodeContext, NodeError, RetryableError, WaymarkError } from '@waymark/sdk';
import { THREAD_SOURCE } from './thread-source.js';

/**
 * How long a thread may take to start and import its package (its top-level code): before
 * an attempt's `run`, whose own time limit counts from then, and at a package's first load.
 */
export const LOAD_LIMIT_MS = 10_000;

/** Where a node of an installed package is, for its thread to import it. */
export interface ThreadedNode {
  entryUrl: string;
  sdkUrl: string;
  type: string;
  version: number;
  /** The attempt's time limit: the node's `timeoutMs`, else `WAYMARK_STEP_TIMEOUT_MS`. */
  limitMs: number;
}

interface SerializedError {
  message: string;
  code?: string;
  stepCode?: string;
  retryable?: boolean;
  retryAfterMs?: number;
  output?: Record<string, unknown>;
  details?: { path?: string; message: string }[];
}

type ThreadMessage =
  | { kind: 'started' }
  | { kind: 'call'; id: number; service: string; method: string; args: unknown[] }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; obj: object | string; msg?: string }
  | { kind: 'result'; ok: true; value: unknown }
  | { kind: 'result'; ok: false; error: SerializedError };

const SERVICES = ['contacts', 'messages', 'http', 'credentials', 'leads'] as const;

function serialize(error: unknown): SerializedError {
  const e = (error ?? {}) as Partial<NodeError & RetryableError & WaymarkError>;
  return {
    message: error instanceof Error ? error.message : String(error),
    ...(error instanceof WaymarkError ? { code: error.code, details: [...error.details] } : {}),
    ...(error instanceof NodeError
      ? { stepCode: error.stepCode, retryable: error.retryable, ...(e.output ? { output: e.output } : {}) }
      : {}),
    ...(typeof e.retryAfterMs === 'number' ? { retryAfterMs: e.retryAfterMs } : {}),
  };
}

/** A package's error back in Waymark's own classes, so the engine decides on it as usual. */
function revive(e: SerializedError): Error {
  if (e.stepCode) {
    const options = { code: e.stepCode, ...(e.output ? { output: e.output } : {}) };
    return e.retryable
      ? new RetryableError(e.message, {
          ...options,
          ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs }),
        })
      : new NodeError(e.message, options);
  }
  // A service's refusal stays final; a plain throw is retried, as in the main thread (`node.exception`).
  if (e.code) return new WaymarkError(e.code, e.message, e.details ?? []);
  return new Error(e.message);
}

/** The step's data as the thread sees it: everything in `ctx` but its services and functions. */
function dataOf(ctx: NodeContext<never>) {
  const { params, node, contact, trigger, steps, run, idempotencyKey, attempt, resume } = ctx;
  return {
    ctx: { params, node, contact, trigger, steps, run, idempotencyKey, attempt, resume },
    now: ctx.now().getTime(),
  };
}

/**
 * Runs one attempt of an installed package's node in a worker thread of its own with an
 * empty environment. Services are called back in this thread on the step's own `ctx`. At the
 * time limit, counted from when `run` starts in the thread (loading the package has
 * `LOAD_LIMIT_MS` of its own), the thread is terminated whatever it does (a promise that
 * never settles, an endless loop) and the attempt fails with `step.timeout`; a crash of the
 * thread (an uncaught exception outside `run`'s promise, `process.exit`) fails it with
 * `step.crashed`. Both are retried like a `RetryableError`.
 *
 * @example
 * const result = await runInThread({ entryUrl, sdkUrl, type: 'acme.shout', version: 1, limitMs: 30_000 }, ctx);
 */
export function runInThread(target: ThreadedNode, ctx: NodeContext<never>): Promise<unknown> {
  return inThread(target, { data: dataOf(ctx) }, ctx);
}

/**
 * Imports a package in a thread of its own first, so that code which never finishes loading
 * (within `LOAD_LIMIT_MS`) or exits the process at import fails the install (or the load)
 * instead of this process.
 *
 * @example
 * await probeInThread({ entryUrl, sdkUrl });
 */
export async function probeInThread(target: { entryUrl: string; sdkUrl: string }): Promise<void> {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const ctx = { signal: new AbortController().signal, log: quiet } as unknown as NodeContext<never>;
  // A probe never starts a `run`: only the load limit applies.
  await inThread({ ...target, type: '', version: 0, limitMs: 0 }, { probe: true }, ctx).catch((error: Error) => {
    throw new Error(error.message);
  });
}

function inThread(target: ThreadedNode, extra: Record<string, unknown>, ctx: NodeContext<never>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      env: {},
      workerData: {
        entryUrl: target.entryUrl,
        sdkUrl: target.sdkUrl,
        type: target.type,
        version: target.version,
        ...extra,
      },
      stdout: false,
      stderr: false,
    });
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      outcome();
      void worker.terminate();
    };
    const timeout = (message: string) => () =>
      finish(() => reject(new RetryableError(message, { code: 'step.timeout' })));
    // The attempt's time limit counts from its `run`: a thread that starts and imports its
    // package slowly (a CPU another thread keeps busy) spends none of it.
    let timer = setTimeout(timeout(`the package did not finish loading within ${LOAD_LIMIT_MS} ms`), LOAD_LIMIT_MS);
    const onAbort = () => worker.postMessage({ kind: 'abort', reason: String(ctx.signal.reason ?? 'aborted') });
    ctx.signal.addEventListener('abort', onAbort);
    worker.on('message', (message: ThreadMessage) => {
      if (message.kind === 'started') {
        clearTimeout(timer);
        timer = setTimeout(timeout(`the step passed its time limit of ${target.limitMs} ms`), target.limitMs);
      } else if (message.kind === 'result') {
        if (message.ok) finish(() => resolve(message.value));
        else finish(() => reject(revive(message.error)));
      } else if (message.kind === 'log') {
        ctx.log[message.level](message.obj, message.msg);
      } else if (message.kind === 'call') {
        void answer(ctx, message).then((reply) => {
          if (!settled) worker.postMessage(reply);
        });
      }
    });
    const crashed = (message: string) =>
      finish(() => reject(new RetryableError(`the package's thread crashed: ${message}`, { code: 'step.crashed' })));
    worker.on('error', (error) => crashed(error.message));
    worker.on('exit', (code) => crashed(`it exited with code ${code} before it answered`));
  });
}

async function answer(ctx: NodeContext<never>, call: Extract<ThreadMessage, { kind: 'call' }>) {
  try {
    const service = SERVICES.find((s) => s === call.service);
    const target = service ? (ctx[service] as unknown as Record<string, unknown>) : undefined;
    const method = target?.[call.method];
    if (typeof method !== 'function') throw new NodeError(`ctx.${call.service}.${call.method} is not a service`);
    const value: unknown = await Reflect.apply(method, target, call.args);
    return { kind: 'reply', id: call.id, ok: true, value: value === undefined ? undefined : structuredClone(value) };
  } catch (error) {
    return { kind: 'reply', id: call.id, ok: false, error: serialize(error) };
  }
}
