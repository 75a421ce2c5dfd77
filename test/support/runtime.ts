import type { FastifyInstance } from 'fastify';
import { type Config, loadConfig } from '../../engine/config/config.js';
import { createLogger, type Logger } from '../../engine/logger.js';
import { type Clock, createRuntime, type Runtime } from '../../engine/runtime.js';
import { buildApp } from '../../server/app.js';
import { ensureAdminToken } from '../../server/auth/tokens.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export const TEST_TOKEN = 'test-admin-token-0123456789';

export interface TestRuntime {
  runtime: Runtime;
  database: TestDatabase;
  close(): Promise<void>;
}

/** Where a test runtime keeps its data: by default a fresh database of its own. */
export interface TestRuntimeOptions {
  /** Another runtime's database, shared as server processes share one PostgreSQL; left for its owner to drop. */
  database?: TestDatabase;
  /** The clock steps read (`ctx.now()`, quiet hours); default the system's. */
  clock?: Clock;
  /** The runtime's logger; default one at `LOG_LEVEL` (silent). */
  logger?: Logger;
  /** Stand-in servers for public origins (`Runtime.httpStandIns`). */
  httpStandIns?: Record<string, string>;
}

/**
 * A runtime on a fresh database, with the built-in node packages loaded. `env` overrides
 * the environment (`WAYMARK_HTTP_ALLOW_PRIVATE`, `SMTP_URL`, …).
 */
export async function createTestRuntime(
  env: Record<string, string> = {},
  options: TestRuntimeOptions = {},
): Promise<TestRuntime> {
  const shared = options.database;
  const database = shared ?? (await createTestDatabase());
  const config: Config = loadConfig({
    WAYMARK_SECRET_KEY: 'test-secret-key-0123456789',
    WAYMARK_API_TOKEN: TEST_TOKEN,
    WAYMARK_DATA_DIR: '/tmp/waymark-test-data',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    ...env,
  });
  const runtime = await createRuntime(config, {
    databaseUrl: database.url,
    logger: options.logger ?? createLogger(config.logLevel),
    migrate: false,
    poolSize: 10,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.httpStandIns ? { httpStandIns: options.httpStandIns } : {}),
  });
  await ensureAdminToken(runtime.db, TEST_TOKEN);
  return {
    runtime,
    database,
    async close() {
      await runtime.close();
      if (!shared) await database.drop();
    },
  };
}

export interface TestApp extends TestRuntime {
  app: FastifyInstance;
  /** Headers with the admin token. */
  auth: { authorization: string };
}

export interface TestAppOptions extends TestRuntimeOptions {
  /** Called before the app is ready: hooks added here see every route. */
  beforeReady?: (app: FastifyInstance) => void;
}

/** The HTTP app over a test runtime, for `app.inject()` or `app.listen({ port: 0 })`. */
export async function createTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const base = await createTestRuntime(env, options);
  const app = await buildApp(base.runtime, { serveEditor: false });
  options.beforeReady?.(app);
  await app.ready();
  return {
    ...base,
    app,
    auth: { authorization: `Bearer ${TEST_TOKEN}` },
    async close() {
      await app.close();
      await base.close();
    },
  };
}

/**
 * A gauge of a runtime's own metrics, as `/metrics` shows it (its first sample).
 *
 * @example
 * expect(await gauge(t.runtime, 'waymark_step_slots_busy')).toBe(2);
 */
export async function gauge(runtime: Runtime, name: string): Promise<number | undefined> {
  const metric = await runtime.metrics.registry.getSingleMetric(name)?.get();
  return metric?.values[0]?.value;
}
