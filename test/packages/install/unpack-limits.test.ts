import { existsSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { installTarball } from '../journeys.js';
import { pack, RegistryStandIn, writePackage } from '../support.js';

// A tarball of a few hundred KiB may hold gigabytes of zeros: what a version unpacks to, its
// dependencies included, is bounded, and a version refused or removed leaves no files behind.
const MiB = 2 ** 20;
const registry = new RegistryStandIn();
let t: TestApp;

beforeAll(async () => {
  await registry.start();
  const dependency = writePackage({ name: 'heavy-lib', version: '1.0.0' });
  writeFileSync(path.join(dependency, 'data.bin'), Buffer.alloc(2 * MiB));
  registry.publish('heavy-lib', { version: '1.0.0', tarball: await pack(dependency) });
  t = await createTestApp({
    WAYMARK_NPM_REGISTRY: registry.url,
    WAYMARK_PACKAGE_MAX_UNPACKED_BYTES: String(3 * MiB),
    WAYMARK_PACKAGE_MAX_FILES: '40',
  });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await registry.stop();
});

/** The folders under this process's packages folder that hold a version of `name`. */
const foldersOf = (name: string) => {
  const versions = path.join(t.runtime.packages.files.root, 'v');
  return (existsSync(versions) ? readdirSync(versions) : []).filter((id) =>
    existsSync(path.join(versions, id, 'node_modules', name, 'package.json')),
  );
};
const staged = () => {
  const dir = path.join(t.runtime.packages.files.root, 'staging');
  return existsSync(dir) ? readdirSync(dir) : [];
};

const refusal = async (bytes: Buffer) => {
  const res = await installTarball(t, bytes);
  expect(res.statusCode, res.body).toBe(422);
  expect(res.json().error.code).toBe('invalid_package');
  return res.json().error.details;
};

describe('what an installed package version may unpack to', () => {
  test('a tarball of zeros past the byte limit is refused naming the limit, and nothing of it stays', async () => {
    const dir = writePackage({ name: 'zip-bomb', prefix: 'zipbomb', version: '1.0.0' });
    writeFileSync(path.join(dir, 'zeros.bin'), '');
    truncateSync(path.join(dir, 'zeros.bin'), 64 * MiB); // sparse on disk, a few hundred KiB packed
    expect(await refusal(await pack(dir))).toEqual([
      {
        path: '',
        message: 'the package and its dependencies unpack to more than 3 MiB (WAYMARK_PACKAGE_MAX_UNPACKED_BYTES)',
      },
    ]);
    expect(foldersOf('zip-bomb')).toEqual([]);
    expect(staged()).toEqual([]);
  }, 60_000);

  test('a tarball of more files than the limit is refused naming it', async () => {
    const dir = writePackage({ name: 'many-files', prefix: 'many', version: '1.0.0' });
    for (let i = 0; i < 50; i++) writeFileSync(path.join(dir, `f${i}.txt`), 'x');
    expect(await refusal(await pack(dir))).toEqual([
      {
        path: '',
        message: 'the package and its dependencies hold more than 40 files and folders (WAYMARK_PACKAGE_MAX_FILES)',
      },
    ]);
    expect(foldersOf('many-files')).toEqual([]);
  });

  test('its dependencies count: a package under the limit with one that takes it past is refused', async () => {
    const dir = writePackage({
      name: 'light-nodes',
      prefix: 'light',
      version: '1.0.0',
      manifest: { dependencies: { 'heavy-lib': '^1.0.0' } },
    });
    writeFileSync(path.join(dir, 'data.bin'), Buffer.alloc(2 * MiB));
    expect((await refusal(await pack(dir)))[0].message).toContain('more than 3 MiB');
    expect(foldersOf('light-nodes')).toEqual([]);
  });

  test('a version refused after it was laid out (it throws on import) leaves no folder', async () => {
    const dir = writePackage({
      name: 'throws-nodes',
      prefix: 'throwsn',
      version: '1.0.0',
      preamble: "throw new Error('no');",
    });
    expect((await refusal(await pack(dir)))[0].message).toContain('throws on import');
    expect(foldersOf('throws-nodes')).toEqual([]);
  });

  test('a removed version leaves no folder', async () => {
    const bytes = await pack(writePackage({ name: 'brief-nodes', prefix: 'brief', version: '1.0.0' }));
    expect((await installTarball(t, bytes)).statusCode).toBe(201);
    expect(foldersOf('brief-nodes')).toHaveLength(1);
    const removed = await t.app.inject({ method: 'DELETE', url: '/api/packages/brief-nodes/1.0.0', headers: t.auth });
    expect(removed.statusCode).toBe(204);
    await eventually(async () => foldersOf('brief-nodes').length === 0, 5_000);
  });
});
