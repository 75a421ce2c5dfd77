import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, runEnds } from '../../engine/support.js';
import { kill, startWaymark, type WaymarkProcess } from '../../operations/support/processes.js';
import { createTestApp, createTestRuntime, TEST_TOKEN, type TestApp, type TestRuntime } from '../../support/runtime.js';
import { createJourney, fire, installTarball, publishJourney } from '../journeys.js';
import { pack, packageProcesses, writePackage } from '../support.js';

// Installed packages live in PostgreSQL: a process running at the install picks it up
// through LISTEN/NOTIFY, and one started later loads it before it takes a job.
const env = {
  WAYMARK_SECRET_KEY: 'test-secret-key-0123456789',
  WAYMARK_API_TOKEN: TEST_TOKEN,
  WAYMARK_DATA_DIR: '/tmp/waymark-test-data',
};
let t: TestApp;
let running: TestRuntime;
let worker: WaymarkProcess | null = null;

beforeAll(async () => {
  t = await createTestApp();
  running = await createTestRuntime({}, { database: t.database });
}, 60_000);
afterAll(async () => {
  if (worker) await kill(worker);
  await running?.close();
  await t?.close();
});

describe('an install reaches every process', () => {
  test('a process already running loads it within 5 s, and forgets a removed version as fast', async () => {
    const res = await installTarball(
      t,
      await pack(writePackage({ name: 'gone-nodes', prefix: 'gone', version: '1.0.0' })),
    );
    expect(res.statusCode).toBe(201);
    await eventually(async () => running.runtime.registry.get('gone.shout', 1) !== undefined, 5_000);
    const removed = await t.app.inject({ method: 'DELETE', url: '/api/packages/gone-nodes/1.0.0', headers: t.auth });
    expect(removed.statusCode).toBe(204);
    await eventually(async () => running.runtime.registry.get('gone.shout', 1) === undefined, 5_000);
  }, 20_000);

  test("a removed version's own process ends in every process that loaded it", async () => {
    const res = await installTarball(
      t,
      await pack(writePackage({ name: 'ended-nodes', prefix: 'ended', version: '1.0.0' })),
    );
    expect(res.statusCode).toBe(201);
    await eventually(async () => running.runtime.registry.get('ended.shout', 1) !== undefined, 5_000);
    const before = packageProcesses(running.runtime);
    expect(before).toBeGreaterThan(0);
    const removed = await t.app.inject({ method: 'DELETE', url: '/api/packages/ended-nodes/1.0.0', headers: t.auth });
    expect(removed.statusCode).toBe(204);
    await eventually(async () => packageProcesses(running.runtime) === before - 1, 5_000);
  }, 20_000);

  test('a version removed while a process was still laying it out stays removed there', async () => {
    const files = running.runtime.packages.files;
    const materialize = files.materialize.bind(files);
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let laidOut: Promise<unknown> | null = null;
    files.materialize = (...args) => {
      laidOut = gate.then(() => materialize(...args));
      return laidOut as ReturnType<typeof materialize>;
    };
    try {
      const res = await installTarball(
        t,
        await pack(writePackage({ name: 'slow-nodes', prefix: 'slow', version: '1.0.0' })),
      );
      expect(res.statusCode).toBe(201);
      await eventually(async () => laidOut !== null, 5_000);
      const removed = await t.app.inject({ method: 'DELETE', url: '/api/packages/slow-nodes/1.0.0', headers: t.auth });
      expect(removed.statusCode).toBe(204);
      running.runtime.packages.unload('slow-nodes', '1.0.0'); // as its removal notice does
      release();
      await laidOut;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(running.runtime.registry.get('slow.shout', 1)).toBeUndefined();
    } finally {
      files.materialize = materialize;
      release();
    }
  }, 20_000);

  test('a worker process started after the install runs its steps', async () => {
    const res = await installTarball(t, await pack(writePackage({ name: '@acme/waymark-nodes', version: '1.0.0' })));
    expect(res.statusCode).toBe(201);
    worker = await startWaymark('worker', t.database.url, env);
    const id = await createJourney(t, 'acme.shout');
    await publishJourney(t, id);
    const { run, steps } = await runEnds(t.runtime.db, await fire(t, id, 'Eve'), undefined, 30_000);
    expect(run.status).toBe('completed');
    expect(steps.find((s) => s.node_id === 'shout')?.output).toEqual({ shouted: 'HELLO EVE' });
  }, 120_000);
});
