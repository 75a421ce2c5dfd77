import { type HttpClient, type NodeContext, RetryableError } from '@waymark/sdk';
import type { CallChannel, HostPlace, PackageHosts, PackageThread } from './package-hosts.js';
import { crashOf } from './thread-limits.js';
import { type AttemptServices, answerCall, revive, type ThreadMessage } from './thread-messages.js';
import { ThreadPool } from './thread-pool.js';

/**
 * How long a thread may take to start and import its package (its top-level code): before
 * an attempt's `run`, whose own time limit counts from then, and at a package's first load.
 */
export const LOAD_LIMIT_MS = 10_000;

/** Where a node of an installed package is, for its thread to import it. */
export interface ThreadedNode {
  entryUrl: string;
  sdkUrl: string;
  /** Its own folder, with its dependencies: what its code may load besides the SDK and Node's built-ins. */
  folderUrl: string;
  type: string;
  version: number;
  /** The attempt's time limit: the node's `timeoutMs`, else `WAYMARK_STEP_TIMEOUT_MS`. */
  limitMs: number;
}

/** The step's data as the thread sees it: everything in `ctx` but its services and functions. */
function dataOf(ctx: NodeContext<never>) {
  const { params, node, contact, trigger, steps, run, idempotencyKey, attempt, resume } = ctx;
  return {
    ctx: { params, node, contact, trigger, steps, run, idempotencyKey, attempt, resume },
    now: ctx.now().getTime(),
  };
}

/** A call of a credential type's part in a package's thread (`PackageThreads.credential`). */
export interface CredentialCall {
  type: string;
  part: 'sender' | 'events';
  fn: 'send' | 'verify' | 'parse' | 'handshake' | 'answer';
  args: unknown[];
  ctxData?: Record<string, unknown>;
}

/** A call of a trigger's function in a package's thread (`PackageThreads.trigger`). */
export interface TriggerCall {
  type: string;
  version: number;
  fn: 'handle' | 'run' | 'every';
  /** `handle`: the request. */
  args: unknown[];
  /** Plain data of its ctx: `params`, `now` (ms), a poll's `state`. */
  ctxData: Record<string, unknown>;
}

/** What an attempt's thread reaches in this thread: its services, its log, its abort signal. */
interface AttemptHost {
  signal: AbortSignal;
  log?: NodeContext<never>['log'];
  services: AttemptServices;
  /** What errors name: `the step`, or the credential function. */
  what: string;
}

/** The error a credential call that timed out or crashed fails with, made of what happened. */
export type Failure = (message: string) => Error;

/** A credential call is never aborted from outside: its time limit ends it. */
const NEVER = new AbortController().signal;

/** Where an installed package version is, for a thread to import it, and the process its threads run in. */
export type PackageFiles = Pick<ThreadedNode, 'entryUrl' | 'sdkUrl' | 'folderUrl'> & {
  hosts: PackageHosts;
  place: HostPlace;
};

/**
 * A thread that imports the package, in its version's own process (package-hosts.ts), with an
 * empty environment and nothing of Waymark. `probe`: it answers with the package's
 * description; `calls`: it serves definition calls.
 */
export function startThread(files: PackageFiles, mode: { probe?: boolean; calls?: CallChannel } = {}): PackageThread {
  const { entryUrl, sdkUrl, folderUrl } = files;
  return files.hosts.start(files.place, { entryUrl, sdkUrl, folderUrl, probe: mode.probe === true }, mode.calls);
}

/**
 * The worker threads of one installed package version. Each runs one attempt at a time, in a
 * thread with an empty environment that imported the package once: starting a thread and
 * importing cost tens of milliseconds of CPU, more than most nodes' `run`. Its `ThreadPool`
 * lends a thread to one attempt at a time, `MAX_THREADS` at most: a thread whose attempt
 * answered and left nothing running (no timer, no socket) serves the next; any other is
 * terminated, so no attempt's leftovers can crash or delay another's step (contract
 * packages.md: a thread's crash fails its own attempt only).
 *
 * Services are called back in this thread on the attempt's own `ctx`; a call is tagged with
 * its attempt, so that a call still pending when its attempt ended reaches no other step.
 * At the time limit, counted from when `run` starts in the thread (loading the package has
 * `LOAD_LIMIT_MS` of its own), the thread is terminated whatever it does (a promise that
 * never settles, an endless loop) and the attempt fails with `step.timeout`; a crash of the
 * thread (an uncaught exception outside `run`'s promise, `process.exit`, its heap past
 * `THREAD_OLD_GENERATION_MB`, thread-limits.ts) fails it with `step.crashed`. Both are retried
 * like a `RetryableError`, running out of memory too: a limit as the time limit is, and the
 * retry runs in another thread, whose heap holds nothing the ended one piled up (a cache);
 * `maxAttempts` bounds what a node that always runs out costs, each attempt within the limit.
 *
 * @example
 * const threads = new PackageThreads({ entryUrl, sdkUrl, folderUrl });
 * const result = await threads.run({ type: 'acme.shout', version: 1, limitMs: 30_000 }, ctx);
 */
export class PackageThreads {
  readonly #pool: ThreadPool<PackageThread>;
  #attempts = 0;

  constructor(files: PackageFiles) {
    this.#pool = new ThreadPool(() => startThread(files));
  }

  run(node: Pick<ThreadedNode, 'type' | 'version' | 'limitMs'>, ctx: NodeContext<never>): Promise<unknown> {
    const work = { type: node.type, version: node.version, data: dataOf(ctx) };
    return this.#attempt(
      work,
      { signal: ctx.signal, log: ctx.log, services: ctx, what: 'the step' },
      node.limitMs,
      null,
    );
  }

  /**
   * A credential type's `sender.send` or `events` function, run as a node's `run` is: in one of
   * the threads, under `limitMs` from when it starts there, its `ctx.http` calls answered by
   * `http` (Waymark's client, with its address rule). `args` are plain data (a request's
   * `rawBody` goes as a copy of its bytes and is a Buffer again there); `ctxData`, when given,
   * becomes the function's last argument with `http` added. A timeout or a crash fails it
   * with the error `failed` makes of its message, one its callers know; a thrown error keeps its class
   * and code.
   */
  credential(call: CredentialCall, http: HttpClient | null, limitMs: number, failed: Failure): Promise<unknown> {
    const { type, part, fn, args, ctxData } = call;
    const work = { credential: type, part, fn, args, ctxData: ctxData ?? null };
    const what = `${type} ${part}.${fn}`;
    return this.#attempt(work, { signal: NEVER, services: http ? { http } : {}, what }, limitMs, failed);
  }

  /**
   * A trigger's `webhook.handle`, `poll.run` or `poll.every`, run as a node's `run` is: in one of
   * the threads, under `limitMs` from when it starts there; its `ctx.credentials` (and a poll's
   * `ctx.http`) answered by `services`, its lines written to `log`. A timeout or a crash fails it
   * with the error `failed` makes of its message; a thrown error keeps its class and code (a
   * `TriggerRefusal` its status).
   */
  trigger(
    call: TriggerCall,
    services: { credentials: unknown; http?: HttpClient },
    log: NodeContext<never>['log'] | undefined,
    limitMs: number,
    failed: Failure,
  ): Promise<unknown> {
    const { type, version, fn, args, ctxData } = call;
    const work = { trigger: type, version, fn, args, ctxData };
    const what = `${type}@${version} ${fn === 'handle' ? 'webhook' : 'poll'}.${fn}`;
    return this.#attempt(work, { signal: NEVER, ...(log ? { log } : {}), services, what }, limitMs, failed);
  }

  async #attempt(work: object, host: AttemptHost, limitMs: number, failed: Failure | null): Promise<unknown> {
    const failure = (message: string, code: string) =>
      failed ? failed(message) : new RetryableError(message, { code });
    const worker = await this.#pool.acquire(host.signal).catch((error: unknown) => {
      throw failed && error instanceof RetryableError ? failed(error.message) : error;
    });
    const attempt = ++this.#attempts;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (outcome: () => void, reuse: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        host.signal.removeEventListener('abort', onAbort);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (reuse) this.#pool.release(worker);
        else this.#pool.discard(worker);
        outcome();
      };
      const timeout = (message: string) => () => finish(() => reject(failure(message, 'step.timeout')), false);
      // The attempt's time limit counts from its `run`: a thread that starts and imports its
      // package slowly (a CPU another thread keeps busy) spends none of it.
      let timer = setTimeout(timeout(`the package did not finish loading within ${LOAD_LIMIT_MS} ms`), LOAD_LIMIT_MS);
      const onAbort = () =>
        worker.postMessage({ kind: 'abort', attempt, reason: String(host.signal.reason ?? 'aborted') });
      const onMessage = (message: ThreadMessage) => {
        if (message.attempt !== attempt) return;
        if (message.kind === 'started') {
          clearTimeout(timer);
          timer = setTimeout(timeout(`${host.what} passed its time limit of ${limitMs} ms`), limitMs);
        } else if (message.kind === 'result') {
          if (message.ok) finish(() => resolve(message.value), message.reusable);
          else finish(() => reject(revive(message.error)), message.reusable);
        } else if (message.kind === 'log') {
          host.log?.[message.level](message.obj, message.msg);
        } else if (message.kind === 'call') {
          void answerCall(host.services, message).then((reply) => {
            if (!settled) worker.postMessage(reply);
          });
        }
      };
      const crashed = (message: string) => finish(() => reject(failure(message, 'step.crashed')), false);
      const onError = (error: Error) => crashed(crashOf(error));
      const onExit = (code: number) => crashed(crashOf(new Error(`it exited with code ${code} before it answered`)));
      host.signal.addEventListener('abort', onAbort);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ kind: 'attempt', attempt, ...work });
    });
  }
}

/**
 * The description a thread started with `probe` answers once it has imported the package:
 * code that never finishes loading (within `LOAD_LIMIT_MS`) or exits at import fails the
 * install (or the load) instead of this process, and the thread is terminated. On success
 * the thread is left to the caller (it may serve definition calls).
 *
 * @example
 * const description = await describedBy(startThread(files, { probe: true }));
 */
export function describedBy(worker: PackageThread): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    const finish = (outcome: () => void, end: boolean) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (end) void worker.terminate();
      outcome();
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`the package did not finish loading within ${LOAD_LIMIT_MS} ms`)), true),
      LOAD_LIMIT_MS,
    );
    const onMessage = (message: ThreadMessage) => {
      if (message.kind !== 'result') return;
      if (message.ok) finish(() => resolve(message.value), false);
      else finish(() => reject(new Error(revive(message.error).message)), true);
    };
    const onError = (error: Error) => finish(() => reject(new Error(crashOf(error))), true);
    const onExit = (code: number) =>
      finish(() => reject(new Error(crashOf(new Error(`it exited with code ${code} before it answered`)))), true);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
