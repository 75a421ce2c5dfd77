import type { Kysely } from 'kysely';
import type { LimitFunction } from 'p-limit';
import type pg from 'pg';
import type { Logger } from 'pino';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import type { DatabaseHealth } from '../health.js';
import type { ProcessIdentity } from './identity.js';
import { BUILT_IN_CHANNELS, readInstallSnapshot, withZeros } from './install-gauges.js';
import { InstallSnapshots } from './install-snapshots.js';

/** How a step execution ended, as `waymark_steps_total` and the step span count it. */
export type StepStatus = 'completed' | 'waiting' | 'failed' | 'retry';

/** What a caller that started runs needs to count their trigger steps. */
export type TriggerCounter = Pick<Metrics, 'triggered'>;

/** How a message decision or send ended, as `waymark_messages_total` counts it. */
export type MessageOutcome = 'sent' | 'suppressed' | 'delayed' | 'failed';

const STEP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * One process's Prometheus metrics (API.md "Metrics"): its own registry, every series labelled
 * with the process's role and id. Counters count what this process did; the installation
 * gauges are read from the database at most every 5 s, whichever process is scraped. No
 * collect fails or waits long for the database, so a scrape during an outage still answers
 * with the process's own metrics and `waymark_database_up` 0.
 *
 * @example
 * const metrics = new Metrics(processIdentity('worker'), {
 *   db, pool, poolMax: 20, stepPool: { pool: steps, max: 4 }, stepSlots: pLimit(4), ingestSlots: pLimit(4),
 *   health, waitTypes: () => ['core.wait', 'core.wait-for-event'], logger,
 * });
 * metrics.steps.inc({ node_type: 'http.request', status: 'completed' });
 * const text = await metrics.registry.metrics();
 */
export class Metrics {
  readonly registry = new Registry();
  readonly webhooks: Counter<'journey' | 'status'>;
  readonly steps: Counter<'node_type' | 'status'>;
  readonly stepDuration: Histogram<'node_type'>;
  readonly messages: Counter<'channel' | 'outcome'>;
  private readonly snapshots: InstallSnapshots;

  constructor(
    readonly identity: ProcessIdentity,
    source: {
      db: Kysely<Database>;
      pool: pg.Pool;
      poolMax: number;
      /** The step kernel's pool (`Runtime.stepDb`). */
      stepPool: { pool: pg.Pool; max: number };
      /** The step batches doing the kernel's work (`Runtime.stepSlots`). */
      stepSlots: LimitFunction;
      /** The records being taken in (`Runtime.ingestSlots`). */
      ingestSlots: LimitFunction;
      /** The database watch (`Runtime.health`): whether PostgreSQL can be reached now. */
      health: Pick<DatabaseHealth, 'ok'>;
      /** The node types of kind `wait` known now (packages come and go): each has a `waymark_waits_parked` series. */
      waitTypes: () => Iterable<string>;
      logger: Logger;
    },
  ) {
    const registers = [this.registry];
    const { db, health, logger } = source;
    this.snapshots = new InstallSnapshots({ read: () => readInstallSnapshot(db), reachable: () => health.ok, logger });
    this.registry.setDefaultLabels({ role: identity.role, process: identity.process });
    collectDefaultMetrics({ register: this.registry });
    this.webhooks = new Counter({
      name: 'waymark_webhooks_total',
      help: 'POST /hooks/<journeyId>/<nodeId> calls answered, by journey id and HTTP status',
      labelNames: ['journey', 'status'],
      registers,
    });
    this.steps = new Counter({
      name: 'waymark_steps_total',
      help: 'Step executions by node type and how they ended (completed, waiting, failed, retry)',
      labelNames: ['node_type', 'status'],
      registers,
    });
    this.stepDuration = new Histogram({
      name: 'waymark_step_duration_seconds',
      help: 'Step executions in a worker, from start to commit, by node type',
      labelNames: ['node_type'],
      buckets: STEP_BUCKETS,
      registers,
    });
    this.messages = new Counter({
      name: 'waymark_messages_total',
      help: 'Message decisions and sends by channel and outcome (sent, suppressed, delayed, failed)',
      labelNames: ['channel', 'outcome'],
      registers,
    });
    this.installGauges(registers, health, source.waitTypes);
    const { pool, poolMax, stepPool } = source;
    poolGauges(registers, 'waymark_db_pool', "this process's PostgreSQL pool", pool, poolMax);
    // Apart from the main pool: too small, its waiting count grows while the main pool idles.
    poolGauges(registers, 'waymark_step_pool', "this process's step kernel pool", stepPool.pool, stepPool.max);
    slotGauges(registers, 'waymark_step_slots', source.stepSlots, {
      busy: "Step batches doing the kernel's work in this process (at most WAYMARK_STEP_POOL_MAX)",
      waiting: 'Step jobs this process took that wait for a slot before they start',
    });
    slotGauges(registers, 'waymark_ingest_slots', source.ingestSlots, {
      busy: 'Calls and mails recording events in this process (at most WAYMARK_INGEST_CONCURRENCY)',
      waiting: 'Calls and mails this process took that wait for a slot before their work',
    });
  }

  /**
   * Counts the trigger steps of `runs` runs this process started at a `nodeType` trigger
   * (each completed once, API.md "Metrics"), once the transaction that started them committed.
   */
  triggered(nodeType: string, runs: number): void {
    if (runs > 0) this.steps.inc({ node_type: nodeType, status: 'completed' }, runs);
  }

  /**
   * `waymark_database_up` and the gauges read from the database. While the snapshot cannot be
   * had those are left out (no sample), never kept at their last value: Prometheus marks a
   * series missing from a scrape stale, so graphs show the gap and `absent()` alerts fire,
   * where a repeated value would pass for a fresh one (an oldest-due age frozen just while
   * jobs pile up). Prometheus's "Writing exporters" asks the same: an `up`-style gauge, and
   * the metrics that could be read.
   */
  private installGauges(registers: Registry[], health: Pick<DatabaseHealth, 'ok'>, waitTypes: () => Iterable<string>) {
    const install = () => this.snapshots.current();
    new Gauge({
      name: 'waymark_database_up',
      help: "1 while this process's database watch reaches PostgreSQL, 0 while it cannot (the installation gauges are then left out)",
      registers,
      collect() {
        this.set(health.ok ? 1 : 0);
      },
    });
    new Gauge({
      name: 'waymark_jobs_due',
      help: 'Queued jobs whose time has come and that no worker holds (installation-wide: aggregate with max)',
      registers,
      async collect() {
        const snapshot = await install();
        if (snapshot) this.set(snapshot.jobsDue);
        else leaveOut(this);
      },
    });
    new Gauge({
      name: 'waymark_oldest_due_job_age_seconds',
      help: 'Age of the oldest due job no worker holds; 0 when there is none (installation-wide)',
      registers,
      async collect() {
        const snapshot = await install();
        if (snapshot) this.set(snapshot.oldestDueAgeSeconds);
        else leaveOut(this);
      },
    });
    new Gauge({
      name: 'waymark_waits_parked',
      help: 'Steps parked in a wait now, by node type (installation-wide)',
      labelNames: ['node_type'],
      registers,
      async collect() {
        const snapshot = await install();
        this.reset();
        if (!snapshot) return;
        for (const [node_type, count] of withZeros(snapshot.waitsParked, (w) => w.nodeType, waitTypes()))
          this.set({ node_type }, count);
      },
    });
    new Gauge({
      name: 'waymark_messages_backlog',
      help: 'Messages queued or delayed, not yet sent, by channel (installation-wide)',
      labelNames: ['channel'],
      registers,
      async collect() {
        const snapshot = await install();
        this.reset();
        if (!snapshot) return;
        for (const [channel, count] of withZeros(snapshot.backlog, (b) => b.channel, BUILT_IN_CHANNELS))
          this.set({ channel }, count);
      },
    });
  }
}

/** An unlabelled gauge with no sample: `reset()` alone would show 0. */
function leaveOut(gauge: Gauge): void {
  gauge.reset();
  gauge.remove();
}

/** `<prefix>_connections{state}`, `<prefix>_waiting` and `<prefix>_max` of one connection pool. */
function poolGauges(registers: Registry[], prefix: string, what: string, pool: pg.Pool, max: number): void {
  new Gauge({
    name: `${prefix}_connections`,
    help: `Connections of ${what}, idle or busy`,
    labelNames: ['state'],
    registers,
    collect() {
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'busy' }, pool.totalCount - pool.idleCount);
    },
  });
  new Gauge({
    name: `${prefix}_waiting`,
    help: `Queries waiting for a connection of ${what}`,
    registers,
    collect() {
      // pg-pool queues a query even while a connection idles and hands it that connection on
      // the next tick: those are not waiting (the scrape's own read of the installation gauges
      // would be one), only the ones no idle connection is left for.
      this.set(Math.max(0, pool.waitingCount - pool.idleCount));
    },
  });
  new Gauge({
    name: `${prefix}_max`,
    help: `The size of ${what}`,
    registers,
    collect() {
      this.set(max);
    },
  });
}

/**
 * `<name>_busy` and `<name>_waiting`: work holding one of the process's slots, and work waiting
 * for one. Step jobs that keep waiting say the kernel's work (the worker's CPU or PostgreSQL's)
 * is the bound, not the worker's concurrency; calls that keep waiting for an ingest slot, that
 * the process takes in more than its share of PostgreSQL serves.
 */
function slotGauges(
  registers: Registry[],
  name: string,
  slots: LimitFunction,
  help: { busy: string; waiting: string },
): void {
  new Gauge({
    name: `${name}_busy`,
    help: help.busy,
    registers,
    collect() {
      this.set(slots.activeCount);
    },
  });
  new Gauge({
    name: `${name}_waiting`,
    help: help.waiting,
    registers,
    collect() {
      this.set(slots.pendingCount);
    },
  });
}
