import { RetryableError } from '@waymark/sdk';

/**
 * Threads one package version runs at most, busy and idle: twenty jobs of a package's node
 * would otherwise start 640 at once, each a V8 heap of its own (about 16 MiB). A thread waits
 * out its attempt's calls through `ctx`, so this bounds a package's calls in flight too. The
 * packages bench, 2,000 steps of a node that answers at once: 32 threads 1,252 steps/s at a
 * peak of 782 MiB, 16 threads 1,668 at 589 MiB, 8 threads 2,376 at 478 MiB.
 */
export const MAX_THREADS = 16;
/** How long an idle thread waits to be reused. */
const IDLE_MS = 30_000;
/** How long an attempt waits for a thread before it fails (`step.timeout`, retried). */
export const QUEUE_LIMIT_MS = 60_000;

/** What a pool lends: a thread (package-hosts.ts's `PackageThread`, a `Worker`). */
interface Poolable {
  ref(): void;
  unref(): void;
  terminate(): Promise<unknown>;
  once(event: 'exit', listener: () => void): unknown;
}

interface Waiter<T> {
  resolve(worker: T): void;
  reject(error: Error): void;
}

/**
 * The worker threads of one installed package version, each lent to one attempt at a time.
 * A thread whose attempt answered goes to the next waiting attempt, else waits idle (up to
 * `IDLE_MS`, without holding the process open); one that passed its time limit is terminated
 * and one that crashed is gone, and a waiting attempt then gets a new thread.
 *
 * @example
 * const pool = new ThreadPool(() => startThread(files));
 * const worker = await pool.acquire(ctx.signal);
 * // … the attempt answered:
 * pool.release(worker);
 */
export class ThreadPool<T extends Poolable> {
  readonly #idle = new Map<T, NodeJS.Timeout>();
  readonly #waiting: Waiter<T>[] = [];
  #live = 0;

  constructor(private readonly start: () => T) {}

  /** An idle thread, a new one while fewer than `MAX_THREADS` live, else the next one freed. */
  acquire(signal: AbortSignal): Promise<T> {
    for (const [worker, idleTimer] of this.#idle) {
      this.#idle.delete(worker);
      clearTimeout(idleTimer);
      worker.ref();
      return Promise.resolve(worker);
    }
    if (this.#live < MAX_THREADS) return Promise.resolve(this.#new());
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
      };
      const waiter: Waiter<T> = {
        resolve: (worker) => {
          settle();
          resolve(worker);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      const timer = setTimeout(
        () =>
          waiter.reject(
            new RetryableError(`no thread of the package was free within ${QUEUE_LIMIT_MS} ms`, {
              code: 'step.timeout',
            }),
          ),
        QUEUE_LIMIT_MS,
      );
      const onAbort = () => waiter.reject(new Error(String(signal.reason ?? 'aborted')));
      signal.addEventListener('abort', onAbort);
      this.#waiting.push(waiter);
    });
  }

  /** Takes back a thread whose attempt answered. */
  release(worker: T): void {
    const waiter = this.#waiting[0];
    if (waiter) {
      waiter.resolve(worker);
      return;
    }
    worker.unref();
    const idleTimer = setTimeout(() => void worker.terminate(), IDLE_MS);
    idleTimer.unref();
    this.#idle.set(worker, idleTimer);
  }

  /** Ends a thread that may not serve again (past its time limit): a waiting attempt gets a new one once it is gone. */
  discard(worker: T): void {
    void worker.terminate();
  }

  #new(): T {
    const worker = this.start();
    this.#live++;
    worker.once('exit', () => {
      this.#live--;
      clearTimeout(this.#idle.get(worker));
      this.#idle.delete(worker);
      const waiter = this.#waiting[0];
      if (waiter) waiter.resolve(this.#new());
    });
    return worker;
  }
}
