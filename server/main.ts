import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '../engine/config/config.js';
import { connectDatabase } from '../engine/db/connect.js';
import { migrateDatabase } from '../engine/db/migrate.js';
import { type InboundSmtp, startInboundSmtp } from '../engine/inbound/smtp-listener.js';
import { createLogger, type Logger } from '../engine/logger.js';
import { processIdentity } from '../engine/observability/identity.js';
import { startTracing, type Tracing } from '../engine/observability/tracing.js';
import { createRuntime, type Runtime } from '../engine/runtime.js';
import { startWorker, type WorkerHandle } from '../engine/worker/start-worker.js';
import { buildApp } from './app.js';
import { ensureAdminToken } from './auth/tokens.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './embedded-postgres.js';
import { listenError } from './listen-error.js';
import { type MetricsListener, startMetricsListener } from './metrics-listener.js';
import { isDatabaseUnavailable } from './plugins/errors.js';
import { warnAtStart } from './start-warnings.js';
import { ensureSetupLink } from './teams/accounts/setup.js';

const COMMANDS = ['start', 'server', 'worker', 'migrate'] as const;
type Command = (typeof COMMANDS)[number];
const SHUTDOWN_LIMIT_MS = 18_000;
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

async function main(command: Command): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`waymark: bad configuration: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const identity = processIdentity(command === 'start' || command === 'migrate' ? 'all' : command);
  const logger = createLogger(config.logLevel, identity);
  if (command !== 'migrate') warnAtStart(logger, config);
  let embedded: EmbeddedDatabase | null = null;
  let runtime: Runtime | null = null;
  let worker: WorkerHandle | null = null;
  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  let inboundSmtp: InboundSmtp | null = null;
  let metricsListener: MetricsListener | null = null;
  let tracing: Tracing | null = null;
  let stopping = false;

  async function shutdown(signal: string, code = 0) {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new requests, letting running steps finish');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      // Without an embedded PostgreSQL there is nothing to stop first: exit all the same.
      void (embedded?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
    }, SHUTDOWN_LIMIT_MS);
    force.unref();
    try {
      await app?.close();
      await inboundSmtp?.close();
      await worker?.stop();
      await metricsListener?.close();
      await tracing?.shutdown();
      await runtime?.close();
    } catch (error) {
      logger.error({ err: error }, 'error while shutting down');
      code = 1;
    }
    await embedded?.stop().catch((error) => logger.error({ err: error }, 'could not stop the embedded PostgreSQL'));
    logger.info('stopped');
    process.exit(code);
  }
  // `on`, not `once`: a Ctrl-C reaches this process twice under `npm start` (from the terminal,
  // and relayed by npm), and a second signal with no listener left would kill it mid-shutdown.
  // SHUTDOWN_LIMIT_MS bounds the shutdown instead.
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    if (!config.databaseUrl) embedded = await startEmbeddedPostgres(config.dataDir, logger);
    const databaseUrl = config.databaseUrl ?? (embedded as EmbeddedDatabase).url;

    if (command === 'migrate') {
      const handle = connectDatabase(databaseUrl, { max: 2 });
      const applied = await migrateDatabase(handle.db, databaseUrl).finally(() => handle.close());
      logger.info({ applied }, applied.length ? 'migrations applied' : 'the database is up to date');
      await embedded?.stop();
      return;
    }

    tracing = await startTracing(identity, VERSION);
    runtime = await createRuntime(config, { databaseUrl, logger, identity });
    if (config.metricsPort !== null) {
      metricsListener = await startMetricsListener(runtime.metrics, {
        host: config.metricsHost,
        port: config.metricsPort,
      });
      logger.info({ url: `http://${config.metricsHost}:${metricsListener.port}/metrics` }, 'metrics listening');
    }
    const token = await ensureAdminToken(runtime.db, config.apiToken);
    if (token) printTokenOnce(token);
    if (command === 'start' || command === 'server') {
      // Before /healthz answers: the one-time link that makes the first owner.
      const setup = await ensureSetupLink(runtime.db, config.publicUrl);
      if (setup) process.stdout.write(`\n  Create the first owner of Waymark (valid 24 h, once): ${setup}\n\n`);
    }
    if (command === 'start' || command === 'worker') worker = await startWorker(runtime);
    if (command === 'start' || command === 'server') {
      const running = worker;
      app = await buildApp(runtime, running ? { workerRunning: () => !stopping && running.running() } : {});
      // Before the HTTP port: once /healthz answers, every listener of the process is up.
      if (config.inboundSmtpPort !== null) {
        inboundSmtp = await startInboundSmtp(runtime, { port: config.inboundSmtpPort });
        logger.info({ port: inboundSmtp.port, domain: config.inboundEmailDomain }, 'inbound SMTP listening');
      }
      await app.listen({ port: config.port, host: config.host }).catch((error: NodeJS.ErrnoException) => {
        throw listenError(error, { host: 'HOST', port: 'PORT' }, config);
      });
      logger.info({ url: `http://${config.host}:${config.port}`, editor: config.publicUrl }, 'Waymark is listening');
    } else {
      logger.info('worker running');
    }
  } catch (error) {
    reportStartFailure(logger, error, config.databaseUrl);
    await shutdown('start-up failure', 1);
  }
}

function printTokenOnce(token: string) {
  process.stdout.write(
    `\n  Your Waymark admin API token (shown once, stored only as a hash):\n\n    ${token}\n\n` +
      '  Use it as "Authorization: Bearer <token>", or paste it into the editor.\n\n',
  );
}

// A database that does not exist, a role that does not, a password refused.
const DATABASE_REFUSALS = new Set(['3D000', '28000', '28P01']);

/** Names DATABASE_URL (without its password) when it is the database that could not be used. */
function reportStartFailure(logger: Logger, error: unknown, databaseUrl: string | null) {
  let message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (databaseUrl && (isDatabaseUnavailable(error) || DATABASE_REFUSALS.has(String(code)))) {
    const shown = new URL(databaseUrl);
    if (shown.password) shown.password = '***';
    message = `DATABASE_URL: cannot use ${shown.toString()}: ${message}`;
  }
  logger.fatal({ err: error }, `Waymark could not start: ${message}`);
}

const command = (process.argv[2] ?? 'start') as Command;
if (!COMMANDS.includes(command)) {
  console.error(`waymark: unknown command "${command}"; use one of ${COMMANDS.join(', ')}`);
  process.exit(2);
}
await main(command);
