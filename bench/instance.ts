import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import pino from 'pino';
import { loadConfig } from '../engine/config/config.js';
import { createRuntime, type Runtime } from '../engine/runtime.js';
import { startWorker, type WorkerHandle } from '../engine/worker/start-worker.js';
import { buildApp } from '../server/app.js';
import { ensureAdminToken } from '../server/auth/tokens.js';
import { type BenchDatabase, createBenchDatabase } from './database.js';

const BENCH_LOG = '/tmp/waymark-bench.log';
export const BENCH_TOKEN = 'bench-admin-token-0123456789';
export const auth = { authorization: `Bearer ${BENCH_TOKEN}` };

/** The environment of a Waymark process a workload starts (`startWaymark`) beside its instance. */
export const PROCESS_ENV = {
  WAYMARK_SECRET_KEY: 'bench-secret-key-0123456789',
  WAYMARK_API_TOKEN: BENCH_TOKEN,
  WAYMARK_WORKER_CONCURRENCY: '20',
  WAYMARK_DATA_DIR: '/tmp/waymark-bench-data',
  // The production level, as the instance's own logger (its lines are not kept).
  LOG_LEVEL: 'info',
};

/** A Waymark on a fresh bench database: runtime, app, and a worker when asked for. */
export interface BenchInstance {
  bench: BenchDatabase;
  runtime: Runtime;
  app: FastifyInstance;
  startWorker(): Promise<WorkerHandle>;
  close(): Promise<void>;
}

export async function createInstance(
  env: Record<string, string> = {},
  options: { serveEditor?: boolean } = {},
): Promise<BenchInstance> {
  const bench = await createBenchDatabase(5);
  const config = loadConfig({
    WAYMARK_SECRET_KEY: 'bench-secret-key-0123456789',
    WAYMARK_DATA_DIR: '/tmp/waymark-bench-data',
    WAYMARK_WORKER_CONCURRENCY: '20',
    LOG_LEVEL: 'info',
    WAYMARK_HTTP_ALLOW_PRIVATE: 'true',
    ...env,
  });
  const runtime = await createRuntime(config, {
    databaseUrl: bench.url,
    // The production level: a step must write no info line of its own (BENCH_LOG: where they go).
    logger: pino({ level: 'info' }, pino.destination({ dest: process.env.BENCH_LOG ?? BENCH_LOG, sync: false })),
    migrate: false,
    poolSize: 40,
  });
  await ensureAdminToken(runtime.db, BENCH_TOKEN);
  await addOtherJourneys(runtime, Number(process.env.BENCH_OTHER_JOURNEYS ?? 0));
  const app = await buildApp(runtime, { serveEditor: options.serveEditor ?? false });
  await app.ready();
  const workers: WorkerHandle[] = [];
  return {
    bench,
    runtime,
    app,
    async startWorker() {
      const worker = await startWorker(runtime);
      workers.push(worker);
      return worker;
    },
    async close() {
      await app.close();
      for (const w of workers) await w.stop();
      await runtime.close();
      await bench.drop();
    },
  };
}

/**
 * `BENCH_OTHER_JOURNEYS` draft journeys beside the workload's own, as an installation holds:
 * a plan that reads every journey (0043) shows only when there are many.
 */
async function addOtherJourneys(runtime: Runtime, count: number): Promise<void> {
  if (!Number.isInteger(count) || count <= 0) return;
  await sql`
    insert into journeys (name, workspace_id)
    select 'other ' || g, (select id from workspaces where is_default) from generate_series(1, ${count}::int) g
  `.execute(runtime.db);
  await sql`analyze journeys`.execute(runtime.db);
}

/** Creates and publishes a journey through the API; returns its id. */
export async function publishJourney(app: FastifyInstance, graph: object, settings: object = {}): Promise<string> {
  const created = await app.inject({
    method: 'POST',
    url: '/api/journeys',
    headers: auth,
    payload: { name: 'bench', graph, settings },
  });
  if (created.statusCode !== 201) throw new Error(`create journey: ${created.statusCode} ${created.body}`);
  const { id } = created.json() as { id: string };
  const published = await app.inject({ method: 'POST', url: `/api/journeys/${id}/publish`, headers: auth });
  if (published.statusCode !== 201) throw new Error(`publish: ${published.statusCode} ${published.body}`);
  return id;
}

/** Imports `count` contacts `user<i>@bench.test` through the NDJSON import route. */
export async function importContacts(
  app: FastifyInstance,
  count: number,
  attributes: (i: number) => object,
): Promise<number> {
  const started = performance.now();
  for (let from = 0; from < count; from += 20_000) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(count, from + 20_000); i++) {
      lines.push(JSON.stringify({ email: `user${i}@bench.test`, attributes: attributes(i) }));
    }
    const res = await app.inject({
      method: 'POST',
      url: '/api/contacts/import',
      headers: { ...auth, 'content-type': 'application/x-ndjson' },
      payload: lines.join('\n'),
    });
    if (res.statusCode !== 200) throw new Error(`import: ${res.statusCode} ${res.body.slice(0, 200)}`);
  }
  return performance.now() - started;
}

/**
 * Waits until `expected` runs of the journey are in `statuses`; returns the milliseconds it
 * took. While some run is elsewhere, the watch asks only whether one is (the first such run
 * found answers, newest first by `runs_by_journey`); the count, which reads every run of the
 * journey, is made once none is. Counting 10,000 runs every 100 ms was 4% of PostgreSQL's CPU
 * in the journey workload (pg_stat_statements), charged to the engine being measured.
 */
export async function waitForRuns(
  runtime: Runtime,
  journeyId: string,
  statuses: string[],
  expected: number,
  limitMs = 600_000,
): Promise<number> {
  const started = performance.now();
  let pause = 50;
  for (;;) {
    const { rows: elsewhere } = await sql<{ some: boolean }>`
      select exists (select 1 from runs where journey_id = ${journeyId} and not (status = any(${statuses}))) as some`.execute(
      runtime.db,
    );
    if (!elsewhere[0]?.some) {
      const asked = performance.now();
      const { rows } = await sql<{
        n: number;
      }>`select count(*)::int as n from runs where journey_id = ${journeyId} and status = any(${statuses})`.execute(
        runtime.db,
      );
      if ((rows[0]?.n ?? 0) >= expected) return performance.now() - started;
      // More runs are still to start (a broadcast entering): counts ten times their own time apart.
      pause = Math.max(50, 10 * (performance.now() - asked));
    }
    if (performance.now() - started > limitMs)
      throw new Error(`the journey's ${expected} runs had not all reached ${statuses.join('/')} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, pause));
  }
}
