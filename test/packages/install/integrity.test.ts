import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { integrityOf } from '../../../engine/packages/tarball-digest.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { installTarball } from '../journeys.js';
import { pack, RegistryStandIn, writePackage } from '../support.js';

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
const sri = (algorithm: string, bytes: Buffer) =>
  `${algorithm}-${createHash(algorithm).update(bytes).digest('base64')}`;
const sha1Hex = (bytes: Buffer) => createHash('sha1').update(bytes).digest('hex');

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

describe('every digest npm announces is checked', () => {
  test('an integrity of sha1, sha256 or sha384 that does not match is refused, one that matches installs', async () => {
    for (const algorithm of ['sha1', 'sha256', 'sha384']) {
      await serve(`wrong-${algorithm}`, () => ({ integrity: sri(algorithm, other) }));
      const wrong = await install(`wrong-${algorithm}`);
      expect(wrong.statusCode, algorithm).toBe(422);
      expect(wrong.json().error.details[0].message).toContain(`does not match its integrity ${algorithm}-`);
      await serve(`right-${algorithm}`, (tarball) => ({ integrity: sri(algorithm, tarball) }));
      expect((await install(`right-${algorithm}`)).statusCode, algorithm).toBe(201);
    }
  }, 60_000);

  test('of several hashes, the strongest algorithm decides, as npm has it', async () => {
    await serve('weak-right', (tarball) => ({ integrity: `${sri('sha1', tarball)} ${sri('sha512', other)}` }));
    expect((await install('weak-right')).statusCode).toBe(422);
    await serve('strong-right', (tarball) => ({ integrity: `${sri('sha512', tarball)} ${sri('sha1', other)}` }));
    expect((await install('strong-right')).statusCode).toBe(201);
  });

  test('without an integrity, dist.shasum (sha1, hex) is checked', async () => {
    await serve('shasum-wrong', () => ({ shasum: sha1Hex(other) }));
    const wrong = await install('shasum-wrong');
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().error.details).toEqual([
      {
        path: '',
        message: `shasum-wrong@1.0.0: the registry's tarball does not match its shasum ${sha1Hex(other)}`,
      },
    ]);
    expect(await installed('shasum-wrong')).toBe(false);
    await serve('shasum-right', (tarball) => ({ shasum: sha1Hex(tarball) }));
    expect((await install('shasum-right')).statusCode).toBe(201);
  });

  test('a tarball announced with neither is refused', async () => {
    await serve('no-digest', () => ({}));
    const res = await install('no-digest');
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual([
      { path: '', message: 'no-digest@1.0.0: the registry announces no integrity or shasum for its tarball' },
    ]);
  });
});
