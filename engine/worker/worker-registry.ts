import os from 'node:os';
import { sql } from 'kysely';
import { analyzeGrownTables } from '../db/statistics.js';
import { decideDueExperiments } from '../experiments/decide.js';
import { queueOrphanedSteps } from '../runs/dispatch.js';
import { FOLD_BATCH, foldCounters, foldRollups } from '../runs/fold-counters.js';
import type { Runtime } from '../runtime.js';

export interface RegistryOptions {
  /** How often this process says it is alive; default 5 s. */
  heartbeatMs: number;
  /** A process silent for longer is dead and its jobs are released; default 30 s. */
  deadAfterMs: number;
}

export const DEFAULT_REGISTRY: RegistryOptions = { heartbeatMs: 5_000, deadAfterMs: 30_000 };

/**
 * Keeps this process's graphile-worker pool in the `workers` table with a heartbeat, and
 * releases the jobs of pools whose heartbeat stopped (`force_unlock_workers`): graphile-worker
 * itself would wait four hours. `locked_by` holds the pool's id, so that is the id recorded.
 */
export class WorkerRegistry {
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<void> | null = null;

  constructor(
    private readonly runtime: Runtime,
    private readonly poolId: string,
    private readonly options: RegistryOptions,
  ) {}

  /** Registers the pool, frees dead pools' jobs at once, then keeps beating. */
  async start(): Promise<void> {
    await this.tick();
    this.#timer = setInterval(() => {
      this.#ticking ??= this.tick()
        .catch((error) => this.runtime.logger.warn({ err: error }, 'worker heartbeat failed'))
        .finally(() => {
          this.#ticking = null;
        });
    }, this.options.heartbeatMs);
    this.#timer.unref();
  }

  /**
   * One beat: refresh our row, release and forget the dead, drop expired webhook keys, fold
   * the scattered node counters, decide ended split experiments, queue the steps a dead process committed but never queued.
   */
  async tick(): Promise<void> {
    const { db } = this.runtime;
    await sql`
      insert into workers (id, hostname, pid) values (${this.poolId}, ${os.hostname()}, ${process.pid})
      on conflict (id) do update set heartbeat_at = now()
    `.execute(db);
    const dead = await db
      .deleteFrom('workers')
      .where(sql<boolean>`heartbeat_at < now() - make_interval(secs => ${this.options.deadAfterMs / 1000})`)
      .where('id', '!=', this.poolId)
      .returning('id')
      .execute();
    if (dead.length) {
      const ids = dead.map((d) => d.id);
      await sql`select graphile_worker.force_unlock_workers(${ids}::text[])`.execute(db);
      this.runtime.logger.warn({ workers: ids }, 'released the jobs of worker processes that stopped beating');
    }
    await sql`
      delete from webhook_keys where ctid in (
        select ctid from webhook_keys where created_at < now() - interval '24 hours' limit 1000)
    `.execute(db);
    // Bounded, so a backlog of counter rows never delays the next heartbeat by much.
    for (const fold of [foldCounters, foldRollups])
      for (let round = 0; round < 4 && (await fold(db)) === FOLD_BATCH; round++);
    await analyzeGrownTables(db);
    // Splits whose test period ended get their automatic decision (contract: at most 30 s late).
    const decided = await decideDueExperiments(db, new Date());
    if (decided) this.runtime.logger.info({ decided }, 'decided split experiments whose test period ended');
    const orphans = await queueOrphanedSteps(db);
    if (orphans)
      this.runtime.logger.warn({ steps: orphans }, 'queued the jobs of steps a stopped process left unqueued');
  }

  /**
   * Stops beating for a pool whose runner stopped, asked to or on its own: frees the jobs it
   * still holds and removes its row at once. If the database cannot be reached the row stays,
   * and the pool is found dead once its heartbeat is `deadAfterMs` old, like a crashed process's.
   */
  async release(): Promise<void> {
    await this.#halt();
    const { db, logger } = this.runtime;
    await db
      .transaction()
      .execute(async (trx) => {
        await sql`select graphile_worker.force_unlock_workers(${[this.poolId]}::text[])`.execute(trx);
        await trx.deleteFrom('workers').where('id', '=', this.poolId).execute();
      })
      .catch((error) => logger.warn({ err: error, worker: this.poolId }, 'could not free a stopped worker’s jobs'));
  }

  async #halt(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#ticking;
  }
}
