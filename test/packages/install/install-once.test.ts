import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importPackage } from '../../../engine/packages/definitions.js';
import { eventually } from '../../engine/support.js';
import { createTestApp, createTestRuntime, type TestApp, type TestRuntime } from '../../support/runtime.js';
import { installTarball } from '../journeys.js';
import { pack, writePackage } from '../support.js';

// The process that installs a version loads it itself; neither the notice its install sends
// every process nor a resync running meanwhile may load it again or forget it.
let t: TestApp;
let other: TestRuntime;

beforeAll(async () => {
  t = await createTestApp();
  other = await createTestRuntime({}, { database: t.database });
}, 60_000);
afterAll(async () => {
  await other?.close();
  await t?.close();
});

describe('the process that installs a version', () => {
  test('lays it out once: the notice of its own install does not load a second copy', async () => {
    const files = t.runtime.packages.files;
    const materialize = files.materialize.bind(files);
    let laidOut = 0;
    files.materialize = (...args) => {
      laidOut++;
      return materialize(...args);
    };
    try {
      const tarball = await pack(writePackage({ name: 'once-nodes', prefix: 'once', version: '1.0.0' }));
      const res = await installTarball(t, tarball);
      expect(res.statusCode, res.body).toBe(201);
      // Another process loads it on the same notice, which by then this one has heard too.
      await eventually(async () => other.runtime.registry.get('once.shout', 1) !== undefined, 10_000);
      await t.runtime.packages.sync();
      expect(laidOut).toBe(1);
      expect(t.runtime.registry.get('once.shout', 1)?.package).toMatchObject({ version: '1.0.0' });
    } finally {
      files.materialize = materialize;
    }
  }, 30_000);

  test('keeps a version it adopts while a resync reads the table without it', async () => {
    const { files, registry } = { files: t.runtime.packages.files, registry: t.runtime.registry };
    const tarball = await pack(writePackage({ name: 'late-nodes', prefix: 'late', version: '1.0.0' }));
    const laidOut = await files.materialize(tarball, []);
    const pkg = await importPackage(laidOut);
    const resync = t.runtime.packages.sync();
    // As an install does once its row commits, which the resync's read may not see.
    t.runtime.packages.adopt('late-nodes', '1.0.0', laidOut, pkg, null);
    await resync;
    expect(registry.get('late.shout', 1)?.package).toMatchObject({ name: 'late-nodes', version: '1.0.0' });
  }, 30_000);
});
