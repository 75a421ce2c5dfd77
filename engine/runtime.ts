import type { Kysely } from 'kysely';
import pLimit, { type LimitFunction } from 'p-limit';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { resolveSecretKeys, type SecretKeys } from './config/secret-key.js';
import { checkKeyInUse } from './credentials/key-in-use.js';
import { reencryptCredentials } from './credentials/rotate.js';
import { connectDatabase } from './db/connect.js';
import type { Database } from './db/database.js';
import { migrateDatabase } from './db/migrate.js';
import { DatabaseHealth } from './health.js';
import { DefaultSmtp } from './messages/outbox/transport.js';
import { type ProcessIdentity, type ProcessRole, processIdentity } from './observability/identity.js';
import { Metrics } from './observability/metrics.js';
import { PackageFiles } from './packages/files.js';
import { InstalledPackages } from './packages/installed.js';
import { loadRegistry } from './registry/load.js';
import type { NodeRegistry } from './registry/registry.js';
import { NotificationListener } from './runs/listener.js';

/** Where the engine reads the time of a step (`ctx.now()`, the contact rules' quiet hours and caps). */
export interface Clock {
  now(): Date;
}

// A webhook group holds one statement per journey it calls (runs/webhook/intake.ts): two run at
// once, the others wait for a connection.
const INTAKE_POOL_MAX = 2;

const systemClock: Clock = { now: () => new Date() };

/** What every part of a running Waymark shares: config, database, registry, logger. */
export interface Runtime {
  config: Config;
  databaseUrl: string;
  db: Kysely<Database>;
  pool: pg.Pool;
  /**
   * A pool of `INTAKE_POOL_MAX` connections whose statements run on generic plans, for the
   * webhook intake's group statement: planned once per connection, and run without a
   * transaction of its own.
   */
  intakeDb: Kysely<Database>;
  /**
   * The step kernel's pool (`WAYMARK_STEP_POOL_MAX` connections, generic plans): a batch's
   * start, reads, write and tag writes. PostgreSQL's CPU bounds them, so more statements at
   * once than a few only contend, and every connection plans each kernel statement again:
   * with the worker's 20 jobs on the main pool of 40, a fifth of PostgreSQL's time in the
   * 5-node journey went to planning (pg_stat_statements).
   */
  stepDb: Kysely<Database>;
  /**
   * Step batches doing the kernel's work at once in this process (`stepPoolMax` of them): a
   * batch of inline nodes holds a slot from its start to its write, a batch of nodes that call
   * out only for its start (see `runBatch`).
   */
  stepSlots: LimitFunction;
  /**
   * Records taken in at once by this process (`ingestConcurrency`): each call of the events API,
   * inbound mail (`receiveMail`), a tracked click or open, an unsubscribe, a provider's event
   * batch (`takeProviderWebhook`) and a form's submission or confirmation (`submitForm`,
   * `confirmSubscription`) holds a slot for its database work; the others wait in memory.
   * With a connection each, fifty calls at once made PostgreSQL's backends contend: on two
   * cores an event cost PostgreSQL twice the CPU. Taken only where such work enters (a route,
   * those functions), so a slot is never awaited by work that holds one.
   */
  ingestSlots: LimitFunction;
  logger: Logger;
  /** One key per purpose (credentials, each kind of signed token, …), each with the keys it still accepts. */
  keys: SecretKeys;
  registry: NodeRegistry;
  /** The node packages installed through the API, kept in step with every process. */
  packages: InstalledPackages;
  health: DatabaseHealth;
  /** The system clock, unless a test gave its own. */
  clock: Clock;
  /** This process's role and id (metrics, logs and traces carry them). */
  identity: ProcessIdentity;
  /** This process's Prometheus metrics. */
  metrics: Metrics;
  /** Email delivery through `SMTP_URL` (pooled), else the outbox. */
  smtp: DefaultSmtp;
  /** Tests only: outgoing requests to a key origin go to the value origin (a provider's stand-in). */
  httpStandIns: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * Connects, migrates (unless told not to), loads the node packages and starts watching
 * the database's health.
 *
 * @example
 * const runtime = await createRuntime(loadConfig(), { databaseUrl, logger });
 */
export async function createRuntime(
  config: Config,
  options: {
    databaseUrl: string;
    logger: Logger;
    migrate?: boolean;
    poolSize?: number;
    clock?: Clock;
    /** Default `all` (`npm start`). */
    role?: ProcessRole;
    /** Default `processIdentity(role)`: give the one the logger was made with. */
    identity?: ProcessIdentity;
    /**
     * Tests only, never from the environment: a stand-in server's origin for a public one
     * (`{ 'https://sns.us-east-1.amazonaws.com': 'http://127.0.0.1:4567' }`), so code that
     * insists on a provider's host can be tested against a local server.
     */
    httpStandIns?: Record<string, string>;
  },
): Promise<Runtime> {
  const { databaseUrl, logger } = options;
  const poolMax = options.poolSize ?? config.dbPoolMax;
  const handle = connectDatabase(databaseUrl, { max: poolMax });
  const intake = connectDatabase(databaseUrl, { max: INTAKE_POOL_MAX, genericPlans: true });
  const steps = connectDatabase(databaseUrl, {
    max: config.stepPoolMax,
    genericPlans: true,
    applicationName: 'waymark steps',
  });
  try {
    if (options.migrate !== false) {
      const applied = await migrateDatabase(handle.db, databaseUrl);
      if (applied.length) logger.info({ applied }, 'database migrated');
    }
    const [keys, registry] = await Promise.all([resolveSecretKeys(config), loadRegistry(config.nodePackages, logger)]);
    await checkKeyInUse(handle.db, keys.credentials, logger);
    await reencryptCredentials(handle.db, keys.credentials, logger);
    const identity = options.identity ?? processIdentity(options.role ?? 'all');
    // Every installed version is loaded before the process takes a job or answers /healthz.
    const packages = new InstalledPackages({
      db: handle.db,
      registry,
      files: new PackageFiles({ allowPrivate: config.httpAllowPrivate, databaseUrl }, config.packageLimits),
      logger,
      process: identity.process,
      stepTimeoutMs: config.stepTimeoutMs,
    });
    const packageNotices = new NotificationListener(databaseUrl, logger.child({ part: 'packages' }));
    packages.listen(packageNotices);
    await packages.loadAll().catch(async (error) => {
      await packageNotices.close();
      await packages.close();
      throw error;
    });
    const health = new DatabaseHealth(databaseUrl, 1000, logger);
    health.start();
    const smtp = new DefaultSmtp(config.smtpUrl);
    const stepSlots = pLimit(config.stepPoolMax);
    const ingestSlots = pLimit(config.ingestConcurrency);
    return {
      config,
      databaseUrl,
      db: handle.db,
      pool: handle.pool,
      intakeDb: intake.db,
      stepDb: steps.db,
      stepSlots,
      ingestSlots,
      logger,
      keys,
      registry,
      packages,
      health,
      clock: options.clock ?? systemClock,
      identity,
      metrics: new Metrics(identity, {
        db: handle.db,
        pool: handle.pool,
        poolMax,
        stepPool: { pool: steps.pool, max: config.stepPoolMax },
        stepSlots,
        ingestSlots,
        health,
        waitTypes: () => registry.nodes().flatMap((n) => (n.definition.kind === 'wait' ? [n.definition.type] : [])),
        logger,
      }),
      smtp,
      httpStandIns: { ...options.httpStandIns },
      async close() {
        smtp.close();
        await packageNotices.close();
        await packages.close();
        await health.stop();
        await intake.close();
        await steps.close();
        await handle.close();
      },
    };
  } catch (error) {
    await intake.close();
    await steps.close();
    await handle.close();
    throw error;
  }
}
