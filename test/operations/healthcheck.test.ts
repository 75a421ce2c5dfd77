import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { type MetricsListener, startMetricsListener } from '../../server/metrics-listener.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type DatabaseRelay, startDatabaseRelay } from '../support/database-relay.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { freePort } from './support/processes.js';

const script = fileURLToPath(new URL('../../server/healthcheck.mjs', import.meta.url));
const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');

/** Runs the image's HEALTHCHECK command for `role` with `env` (no inherited HOST or ports): its exit code and stderr. */
function healthcheck(role: string, env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, role], { env: { PATH: process.env.PATH ?? '', ...env } }, (error, _o, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
    );
  });
}

let database: TestDatabase;
let relay: DatabaseRelay;
let t: TestApp;
let metrics: MetricsListener;
let env: Record<string, string>;

beforeAll(async () => {
  database = await createTestDatabase();
  relay = await startDatabaseRelay(database.url);
  t = await createTestApp({}, { database: { ...database, url: relay.url } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  metrics = await startMetricsListener(t.runtime.metrics, { host: '127.0.0.1', port: 0 });
  env = {
    HOST: '0.0.0.0',
    PORT: String((t.app.server.address() as AddressInfo).port),
    METRICS_PORT: String(metrics.port),
  };
});
afterAll(async () => {
  relay?.set('cut');
  await metrics?.close();
  await t?.close();
  await relay?.close();
  await database?.drop();
});

describe('the Dockerfile', () => {
  test('has a HEALTHCHECK running server/healthcheck.mjs with node (no curl), in the runtime stage that copies server/', () => {
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    expect(runtime).toMatch(/^HEALTHCHECK .*CMD \["node", "server\/healthcheck\.mjs"\]$/m);
    expect(runtime).toMatch(/^COPY --from=build \/app\/server server$/m);
    const instructions = dockerfile.split('\n').filter((line) => !line.startsWith('#'));
    expect(instructions.join('\n')).not.toMatch(/curl/);
  });
});

describe('the image’s health check while the database is reachable', () => {
  test('start and server: healthy when /healthz on PORT answers 200 (HOST 0.0.0.0 asked on loopback)', async () => {
    expect(await healthcheck('server', env)).toMatchObject({ code: 0 });
    expect(await healthcheck('start', env)).toMatchObject({ code: 0 });
  });

  test('worker: healthy when METRICS_PORT says waymark_database_up 1; without METRICS_PORT, a live process is healthy', async () => {
    expect(await healthcheck('worker', env)).toMatchObject({ code: 0 });
    expect(await healthcheck('worker', { HOST: '0.0.0.0' })).toMatchObject({ code: 0 });
  });

  test('migrate: nothing to ask, healthy', async () => {
    expect(await healthcheck('migrate', {})).toMatchObject({ code: 0 });
  });

  test('nothing listening on PORT: unhealthy (exit 1)', async () => {
    const { code, stderr } = await healthcheck('server', { ...env, PORT: String(await freePort()) });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^unhealthy: /);
  });

  test('an unknown role: unhealthy (exit 1, never Docker’s reserved 2)', async () => {
    const { code, stderr } = await healthcheck('web', env);
    expect(code).toBe(1);
    expect(stderr).toMatch(/unknown role "web"/);
  });
});

describe('the image’s health check while the database cannot be reached', () => {
  beforeAll(async () => {
    relay.set('cut');
    await vi.waitFor(() => expect(t.runtime.health.ok).toBe(false), { timeout: 5000 });
  });

  test('start and server: unhealthy, saying /healthz answered 503', async () => {
    const { code, stderr } = await healthcheck('server', env);
    expect(code).toBe(1);
    expect(stderr).toMatch(/\/healthz answered 503/);
  });

  test('worker: unhealthy, saying waymark_database_up is not 1', async () => {
    const { code, stderr } = await healthcheck('worker', env);
    expect(code).toBe(1);
    expect(stderr).toMatch(/waymark_database_up is not 1/);
  });
});
