import { EventEmitter } from 'node:events';
import { Logger as GraphileLogger, type Runner, run, type WorkerEvents } from 'graphile-worker';
import { type Logger, stdSerializers } from 'pino';
import { scheduleRetention } from '../retention/schedule.js';
import { DEFAULT_RETRY, type RetryOptions } from '../runs/kernel/decide.js';
import type { Runtime } from '../runtime.js';
import { RunnerKeeper, type RunningPool } from './keep-running.js';
import { queueRecurringTasks, workerTasks } from './tasks.js';
import { WakeAlarms } from './wake-alarms.js';
import { DEFAULT_REGISTRY, type RegistryOptions, WorkerRegistry } from './worker-registry.js';

export interface WorkerHandle {
  /**
   * The graphile-worker pool id (what `locked_by` holds and the `workers` table records); a
   * runner started again has a new one.
   */
  readonly id: string;
  /** Whether the runner runs: false while one that stopped on its own waits to start again. */
  running(): boolean;
  /** Stops taking jobs, lets running steps finish, then resolves. */
  stop(): Promise<void>;
}

export interface WorkerOptions {
  /** Steps at once; default `WAYMARK_WORKER_CONCURRENCY`. */
  concurrency?: number;
  retry?: Partial<RetryOptions>;
  registry?: Partial<RegistryOptions>;
  /**
   * graphile-worker throughput settings (STACK.md): jobs fetched ahead into a local queue
   * (0 = off; default 10 per slot, at most 500), and batching delays for completing/failing
   * jobs (default 0: batched with whatever else is completing at that moment).
   */
  localQueueSize?: number;
  completeJobBatchDelay?: number;
  failJobBatchDelay?: number;
  pollInterval?: number;
  /** graphile-worker's events, for a caller that watches the pool too; default a new emitter. */
  events?: WorkerEvents;
}

/**
 * Runs graphile-worker in this process with Waymark's tasks, `WAYMARK_WORKER_CONCURRENCY`
 * steps at once, registered in `workers` with a heartbeat so that a crash of this process
 * is noticed by the others (and by the next start) and its steps run again. A runner that
 * stops on its own (a database error graphile-worker gave up on) is started again
 * (`RunnerKeeper`).
 *
 * @example
 * const worker = await startWorker(runtime);
 * // … on SIGTERM:
 * await worker.stop();
 */
export async function startWorker(runtime: Runtime, options: WorkerOptions = {}): Promise<WorkerHandle> {
  const events: WorkerEvents = options.events ?? (new EventEmitter() as WorkerEvents);
  let poolId: string | null = null;
  let nudge: (jobs: number) => void = () => {};
  events.on('pool:create', ({ workerPool }) => {
    poolId = workerPool.id;
    nudge = (jobs) => workerPool.nudge(jobs);
  });
  // Due wake-ups fetched when due, not at the next poll.
  const alarms = new WakeAlarms((jobs) => nudge(jobs));
  const concurrency = options.concurrency ?? runtime.config.workerConcurrency;
  // Without a local queue every job costs a fetch of its own (STACK.md: ~1,700 jobs/s at best).
  const localQueueSize = options.localQueueSize ?? Math.min(500, concurrency * 10);
  const taskList = workerTasks(
    runtime,
    { ...DEFAULT_RETRY, ...options.retry },
    { onWakeUps: (times) => alarms.set(times) },
  );
  async function startPool(): Promise<RunningPool> {
    poolId = null;
    const runner: Runner = await run({
      pgPool: runtime.pool,
      concurrency,
      noHandleSignals: true,
      pollInterval: options.pollInterval ?? 1000,
      taskList,
      // Waymark schedules its own triggers: an empty list, where `crontab: ''` still has graphile
      // look for ./crontab and tell every start that cron is disabled.
      parsedCronItems: [],
      events,
      logger: graphileLogger(runtime.logger),
      preset: {
        worker: {
          ...(localQueueSize > 0 ? { localQueue: { size: localQueueSize } } : {}),
          completeJobBatchDelay: options.completeJobBatchDelay ?? 0,
          failJobBatchDelay: options.failJobBatchDelay ?? 0,
        },
      },
    });
    const id: string | null = poolId;
    if (!id) {
      await runner.stop();
      throw new Error('graphile-worker started without announcing its pool id');
    }
    const registry = new WorkerRegistry(runtime, id, { ...DEFAULT_REGISTRY, ...options.registry });
    try {
      await registry.start();
      await queueRecurringTasks(runtime.db);
    } catch (error) {
      await runner.stop();
      await registry.release();
      throw error;
    }
    return { id, runner, registry };
  }
  const keeper = new RunnerKeeper(startPool, runtime.logger);
  await keeper.begin();
  const retention = scheduleRetention(runtime);
  return {
    get id() {
      return keeper.id;
    },
    running: () => keeper.running(),
    async stop() {
      alarms.clear();
      await retention.stop();
      await keeper.stop();
    },
  };
}

/** A line's fields with each Error spelt out: pino writes an Error it does not know as `{}`. */
function withErrors(meta: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta))
    fields[key] = value instanceof Error ? stdSerializers.err(value) : value;
  return fields;
}

/**
 * graphile-worker's log lines through our pino logger. A job's success is routine — at
 * thousands of steps a second, an info line each (with the whole job) would be most of the
 * work — so it is logged at debug; failures keep their level. graphile-worker passes its
 * errors as `error`, which pino's serializers do not read: they are written with their
 * message and stack (an AggregateError with those it gathers).
 */
export function graphileLogger(logger: Logger): GraphileLogger {
  const log = logger.child({ part: 'worker' });
  return new GraphileLogger(() => (level, message, meta) => {
    const routine = level === 'info' && meta?.success === true;
    const freedByUs = level === 'error' && isLocalQueueReleaseRace(meta?.error);
    const method = freedByUs ? 'info' : routine ? 'debug' : LEVELS[level];
    if (!log.isLevelEnabled(method)) return;
    const fields = routine ? { jobId: (meta?.job as { id?: string } | undefined)?.id } : withErrors(meta ?? {});
    log[method](freedByUs ? { ...fields, note: LOCAL_QUEUE_NOTE } : fields, message);
  });
}

const LEVELS = { error: 'error', warning: 'warn', info: 'info', debug: 'debug' } as const;

const LOCAL_QUEUE_RELEASED = 'Cannot background something when the queue is already released';
const LOCAL_QUEUE_NOTE =
  'graphile-worker could not hand back the jobs its local queue held; Waymark frees them as the worker stops';

/**
 * graphile-worker 0.18 stopping with jobs in its local queue throws this at itself (it marks the
 * queue released before handing the jobs back) and logs it as an error, twice, at every graceful
 * stop of a busy worker. Nothing is lost: the jobs go back by its own query or by the worker
 * registry's release that follows every stop (`stopPool`, keep-running.ts), so it is no error.
 */
function isLocalQueueReleaseRace(error: unknown): boolean {
  if (error instanceof AggregateError)
    return error.errors.length > 0 && error.errors.every((inner) => isLocalQueueReleaseRace(inner));
  return error instanceof Error && error.message === LOCAL_QUEUE_RELEASED;
}
