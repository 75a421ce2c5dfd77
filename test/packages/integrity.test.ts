import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { integrityOf } from '../../engine/packages/tarball.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { installTarball } from './journeys.js';
import { pack, RegistryStandIn, writePackage } from './support.js';

// A registry announces each tarball's digest (dist.integrity, dist.shasum); bytes that do not
// match it are not the package the registry published, and are never installed.
const registry = new RegistryStandIn();
let t: TestApp;

/** A package the stand-in serves with the packument's `dist` as given. */
async function serve(name: string, dist: (tarball: Buffer) => { integrity?: string; shasum?: string }) {
  const tarball = await pack(writePackage({ name, prefix: name.replaceAll('-', ''), version: '1.0.0' }));
  registry.publish(name, { version: '1.0.0', tarball, dist: dist(tarball) });
}
const other = Buffer.from('other bytes');

beforeAll(async () => {
  await registry.start();
  t = await createTestApp({ WAYMARK_NPM_REGISTRY: registry.url });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await registry.stop();
});

const install = (name: string) =>
  t.app.inject({ method: 'POST', url: '/api/packages', headers: t.auth, payload: { name } });
const installed = async (name: string) =>
  (await t.app.inject({ method: 'GET', url: '/api/packages', headers: t.auth }))
    .json()
    .packages.some((p: { name: string }) => p.name === name);

describe('a tarball that does not match the integrity its registry announced', () => {
  test('is 422 invalid_package naming the package and version, not 502', async () => {
    await serve('tampered-nodes', () => ({ integrity: integrityOf(other) }));
    const res = await install('tampered-nodes');
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error).toMatchObject({
      code: 'invalid_package',
      details: [
        {
          path: '',
          message: `tampered-nodes@1.0.0: the registry's tarball does not match its integrity ${integrityOf(other)}`,
        },
      ],
    });
    expect(await installed('tampered-nodes')).toBe(false);
  });

  test('of a dependency is 422 at that dependency, naming its version', async () => {
    await serve('tampered-lib', () => ({ integrity: integrityOf(other) }));
    const dependencies = { 'tampered-lib': '^1.0.0' };
    const res = await installTarball(
      t,
      await pack(
        writePackage({ name: 'uses-tampered', prefix: 'usest', version: '1.0.0', manifest: { dependencies } }),
      ),
    );
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error.details).toEqual([
      {
        path: '/dependencies/tampered-lib',
        message: expect.stringMatching(/^tampered-lib@1\.0\.0: the registry's tarball does not match its integrity/),
      },
    ]);
    expect(await installed('uses-tampered')).toBe(false);
  });
});
