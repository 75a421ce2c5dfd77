import { hostname } from 'node:os';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually } from '../../engine/support.js';
import { kill, startWaymark, stop, type WaymarkProcess } from '../../operations/support/processes.js';
import { createTestApp, TEST_TOKEN, type TestApp } from '../../support/runtime.js';
import { installTarball } from '../journeys.js';
import { pack, writePackage } from '../support.js';

// `loadErrors` lists the failures that running processes report (contract packages.md): a
// report lasts while its process runs, and goes when it stops or dies.
const env = {
  WAYMARK_SECRET_KEY: 'test-secret-key-0123456789',
  WAYMARK_API_TOKEN: TEST_TOKEN,
  WAYMARK_DATA_DIR: '/tmp/waymark-test-data',
};
let t: TestApp;
const servers: WaymarkProcess[] = [];

beforeAll(async () => {
  t = await createTestApp();
  // Loads in the processes this test's process starts for it, where it is installed; its
  // import throws in those any other Waymark process starts.
  const picky = writePackage({
    name: 'picky-nodes',
    prefix: 'picky',
    version: '1.0.0',
    preamble: `if (process.ppid !== ${process.pid}) throw new Error('picky-nodes loads on its own host only');`,
  });
  const res = await installTarball(t, await pack(picky));
  if (res.statusCode !== 201) throw new Error(`not installed: ${res.body}`);
}, 60_000);
afterAll(async () => {
  for (const server of servers) await kill(server);
  await t?.close();
});

const loadErrors = async () => {
  const res = await t.app.inject({ method: 'GET', url: '/api/packages/picky-nodes/1.0.0', headers: t.auth });
  return res.json().loadErrors as { process: string; message: string; at: string }[];
};

// A server process: it has started in full once it answers /healthz, so a SIGTERM finds it running.
const startFailingServer = async () => {
  const server = await startWaymark('server', t.database.url, env);
  servers.push(server);
  return {
    server,
    report: {
      process: `${hostname()}:${server.child.pid}`,
      message: expect.stringContaining('own host only'),
      at: expect.any(String),
    },
  };
};

describe('loadErrors of an installed version', () => {
  test('lists the failure of a running process, and drops it when that process stops', async () => {
    const { server, report } = await startFailingServer();
    expect(await loadErrors()).toEqual([report]);
    await stop(server);
    expect(await loadErrors()).toEqual([]);
  }, 120_000);

  test('keeps the report of a process that goes on running, and drops that of one killed once it lapses', async () => {
    const { server, report } = await startFailingServer();
    const thirtySecondsPass = () =>
      t.runtime.db
        .updateTable('node_package_load_errors')
        .set({ seen_at: sql`seen_at - interval '31 seconds'` })
        .execute();
    await thirtySecondsPass();
    await eventually(async () => (await loadErrors()).length === 1, 10_000);
    expect(await loadErrors()).toEqual([report]);
    await kill(server);
    expect(await loadErrors()).toEqual([report]);
    await thirtySecondsPass();
    expect(await loadErrors()).toEqual([]);
  }, 120_000);
});
