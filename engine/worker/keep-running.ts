import { setTimeout as sleep } from 'node:timers/promises';
import type { Runner } from 'graphile-worker';
import type { Logger } from 'pino';
import type { WorkerRegistry } from './worker-registry.js';

/** A started graphile-worker runner, its pool's id and its place in `workers`. */
export interface RunningPool {
  id: string;
  runner: Runner;
  registry: WorkerRegistry;
}

const FIRST_RESTART_MS = 1_000;
const MAX_RESTART_MS = 30_000;

/**
 * Keeps a graphile-worker runner running. graphile-worker stops a runner for good when its pool
 * gives up on a database error (`worker pool exited with error: timeout exceeded when trying to
 * connect`); a runner that ends without being asked to is started again after 1 s, the pause
 * doubling up to 30 s while starting fails. Its pool's jobs are freed at once.
 *
 * @example
 * const keeper = new RunnerKeeper(startPool, logger);
 * await keeper.begin();
 * keeper.running(); // false while a stopped runner waits to start again
 */
export class RunnerKeeper {
  #pool: RunningPool | null = null;
  #last = '';
  #stopping = new AbortController();
  #restarting: Promise<void> | null = null;

  constructor(
    private readonly start: () => Promise<RunningPool>,
    private readonly logger: Logger,
  ) {}

  /** Starts the first runner; throws if it cannot start. */
  async begin(): Promise<void> {
    this.#watch(await this.start());
  }

  /** The pool id of the runner running now (the last one, while none is). */
  get id(): string {
    return this.#last;
  }

  /** Whether a runner is running. */
  running(): boolean {
    return this.#pool !== null;
  }

  /** Stops restarting and stops the runner, letting running steps finish. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#restarting;
    const pool = this.#pool;
    this.#pool = null;
    if (pool) await stopPool(pool, this.logger);
  }

  #watch(pool: RunningPool): void {
    this.#pool = pool;
    this.#last = pool.id;
    // Settles once the runner has stopped and released its pool, whatever stopped it.
    void pool.runner.promise
      .catch(() => {})
      .then(() => {
        if (this.#pool !== pool || this.#stopping.signal.aborted) return;
        this.#pool = null;
        this.#restarting = this.#restart(pool).finally(() => {
          this.#restarting = null;
        });
      });
  }

  async #restart(ended: RunningPool): Promise<void> {
    this.logger.error({ worker: ended.id }, 'the worker stopped on its own; starting it again');
    await ended.registry.release();
    for (let pause = FIRST_RESTART_MS; ; pause = Math.min(pause * 2, MAX_RESTART_MS)) {
      try {
        await sleep(pause, undefined, { signal: this.#stopping.signal });
      } catch {
        return; // stopping
      }
      let pool: RunningPool;
      try {
        pool = await this.start();
      } catch (error) {
        this.logger.warn({ err: error, retryInMs: Math.min(pause * 2, MAX_RESTART_MS) }, 'the worker could not start');
        continue;
      }
      if (this.#stopping.signal.aborted) return stopPool(pool, this.logger);
      this.#watch(pool);
      this.logger.info({ worker: pool.id, was: ended.id }, 'the worker is running again');
      return;
    }
  }
}

/**
 * Stops a runner, letting running steps finish, then frees whatever jobs its pool still holds.
 * Under load graphile-worker's stop can throw (`Cannot background something when the queue is
 * already released`) with fetched jobs still locked by the pool: left to graphile-worker they
 * would wait four hours, and the throw cut the process's shutdown short (exit code 1).
 */
async function stopPool(pool: RunningPool, logger: Logger): Promise<void> {
  try {
    await pool.runner.stop();
  } catch (error) {
    logger.warn({ err: error, worker: pool.id }, 'the worker’s queue did not stop cleanly; freeing its jobs');
  }
  await pool.registry.release();
}
