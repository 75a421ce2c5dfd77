import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { installTarball } from '../journeys.js';
import { pack, RegistryStandIn, writePackage } from '../support.js';
import { rawTarball } from './raw-tar.js';

// A dependency is laid out under node_modules/<its name>: a name that is a path would put the
// registry's tarball anywhere the server may write, at the install and at every start.
const registry = new RegistryStandIn();
let t: TestApp;
const escapes: string[] = [];

/** A folder outside every package folder, and a dependency name whose path leads into it. */
const outside = () => {
  const dir = path.join(os.tmpdir(), `waymark-escape-${randomUUID()}`);
  escapes.push(dir);
  return { dir, name: `${'../'.repeat(12)}${dir.slice(1)}/pwned` };
};
const pointer = (name: string) => `/dependencies/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`;

async function library(name: string, dependencies: Record<string, string> = {}) {
  const dir = writePackage({ name, version: '1.0.0', manifest: { dependencies } });
  return { version: '1.0.0', tarball: await pack(dir), dependencies };
}

beforeAll(async () => {
  await registry.start();
  // The registry serves the path-named package too, so nothing but the name rule stops it.
  const pwned = await library('pwned');
  registry.publish('pwned', pwned);
  t = await createTestApp({ WAYMARK_NPM_REGISTRY: registry.url });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await registry.stop();
  for (const dir of escapes) rmSync(dir, { recursive: true, force: true });
});

const servePathNamed = (name: string) =>
  registry.publish(name, {
    ...(registry.packages.get('pwned')?.[0] as { version: string; tarball: Buffer }),
    tarballUrl: `${registry.url}pwned/-/pwned-1.0.0.tgz`,
  });

describe('a dependency whose name is not an npm package name', () => {
  test('in package.json is refused with 422 at /dependencies/<name>; the registry is not asked', async () => {
    const { dir, name } = outside();
    servePathNamed(name);
    const asked = registry.requests.length;
    const dependencies = { [name]: '1.0.0' };
    const res = await installTarball(
      t,
      await pack(writePackage({ name: 'path-dep', prefix: 'pathdep', version: '1.0.0', manifest: { dependencies } })),
    );
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error).toMatchObject({
      code: 'invalid_package',
      details: [{ path: pointer(name), message: `the dependency "${name}" is not an npm package name` }],
    });
    expect(registry.requests.length).toBe(asked);
    expect(existsSync(dir)).toBe(false);
  });

  test("in a dependency's packument is refused with 422 at the dependency that brought it", async () => {
    const { dir, name } = outside();
    servePathNamed(name);
    registry.publish('innocent', await library('innocent', { [name]: '1.0.0' }));
    const dependencies = { innocent: '^1.0.0' };
    const res = await installTarball(
      t,
      await pack(writePackage({ name: 'deep-dep', prefix: 'deepdep', version: '1.0.0', manifest: { dependencies } })),
    );
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error.details).toEqual([
      {
        path: '/dependencies/innocent',
        message: `innocent@1.0.0 depends on "${name}", which is not an npm package name`,
      },
    ]);
    expect(existsSync(dir)).toBe(false);
  });

  test('stored before this rule, it keeps its version from loading at a start, and nothing is written', async () => {
    registry.publish('harmless', await library('harmless'));
    const dependencies = { harmless: '^1.0.0' };
    const bytes = await pack(
      writePackage({ name: 'stored-dep', prefix: 'storeddep', version: '1.0.0', manifest: { dependencies } }),
    );
    expect((await installTarball(t, bytes)).statusCode).toBe(201);
    const { dir, name } = outside();
    await t.runtime.db.updateTable('node_package_dependencies').set({ name }).where('name', '=', 'harmless').execute();
    const started = await createTestApp({ WAYMARK_NPM_REGISTRY: registry.url }, { database: t.database });
    try {
      const entry = await started.app.inject({
        method: 'GET',
        url: '/api/packages/stored-dep/1.0.0',
        headers: started.auth,
      });
      expect(entry.json()).toMatchObject({ nodes: [], error: expect.stringContaining('not an npm package name') });
      expect(existsSync(dir)).toBe(false);
    } finally {
      await started.close();
    }
  }, 60_000);
});

describe('a tarball entry that would leave its package folder', () => {
  test('is not written: links are skipped, absolute and .. paths stay inside or refuse the tarball', async () => {
    const source = writePackage({ name: 'sneaky-tar', prefix: 'sneakytar', version: '1.0.0' });
    const { dir } = outside();
    const files = ['package.json', 'index.mjs', 'README.md'].map((f) => ({
      path: `package/${f}`,
      body: readFileSync(path.join(source, f)),
    }));
    const attacks = [
      [
        { path: 'package/out', type: 'symlink', linkpath: dir },
        { path: 'package/out/pwned', body: 'x' },
      ],
      [{ path: 'package/hard', type: 'hardlink', linkpath: path.join(dir, 'pwned') }],
      [{ path: `${dir}/pwned`, body: 'x' }],
      [{ path: `package/${'../'.repeat(12)}${dir.slice(1)}/pwned`, body: 'x' }],
    ] as const;
    for (const attack of attacks) {
      const res = await installTarball(t, rawTarball([...files, ...attack]));
      expect(existsSync(dir), JSON.stringify(attack)).toBe(false);
      if (res.statusCode !== 201) {
        expect(res.statusCode, res.body).toBe(422);
        expect(res.json().error.details[0].message).toContain('does not unpack');
      }
      await t.app.inject({ method: 'DELETE', url: '/api/packages/sneaky-tar/1.0.0', headers: t.auth });
    }
  }, 60_000);
});
