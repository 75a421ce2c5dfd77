import { defineNode, definePackage } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { integrityOf } from '../../../engine/packages/tarball-digest.js';
import { NodeRegistry } from '../../../engine/registry/registry.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { installTarball } from '../journeys.js';
import { pack, writePackage } from '../support.js';

// Versions equal by semver are one version: v1.5.0 and 1.5.0+build are 1.5.0 to every range
// and every comparison, so they are never stored beside it as other versions.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(() => t?.close());

const upload = (version: string, run?: string) =>
  pack(writePackage({ name: 'semver-nodes', prefix: 'semver', version, ...(run ? { run } : {}) }));
const versions = async () =>
  (await t.app.inject({ method: 'GET', url: '/api/packages', headers: t.auth }))
    .json()
    .packages.filter((p: { name: string }) => p.name === 'semver-nodes')
    .map((p: { version: string }) => p.version);

describe('a package version written other than semver writes it', () => {
  test('is refused with 422 at /version, naming the plain form, when 1.5.0 is installed or not', async () => {
    expect((await installTarball(t, await upload('1.5.0'))).statusCode).toBe(201);
    const other = "return { next: 'out', output: { shouted: 'evil' } };";
    for (const [version, message] of [
      ['v1.5.0', 'write the version as 1.5.0, not v1.5.0'],
      ['1.5.0+evil', 'build metadata (+evil) does not make another version: write 1.5.0'],
      ['2.0.0+build.7', 'build metadata (+build.7) does not make another version: write 2.0.0'],
    ]) {
      const res = await installTarball(t, await upload(version, other));
      expect(res.statusCode, version).toBe(422);
      expect(res.json().error).toMatchObject({ code: 'invalid_package', details: [{ path: '/version', message }] });
    }
    expect(await versions()).toEqual(['1.5.0']);
  });

  test('stored before this rule, it is the same version: the plain one with other bytes is 409', async () => {
    const tarball = await upload('v2.0.0');
    await t.runtime.db
      .insertInto('node_packages')
      .values({
        name: 'semver-nodes',
        version: 'v2.0.0',
        integrity: integrityOf(tarball),
        tarball,
        manifest: JSON.stringify({ name: 'semver-nodes', version: 'v2.0.0' }),
      })
      .execute();
    const res = await installTarball(t, await upload('2.0.0'));
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error).toMatchObject({
      code: 'conflict',
      message: 'semver-nodes@2.0.0 is installed as v2.0.0 with other contents; publish a new version',
    });
  });
});

describe('installed versions equal by semver', () => {
  const shout = defineNode({
    type: 'tie.shout',
    version: 1,
    kind: 'action',
    title: 'Shout',
    description: 'Shouts.',
    category: 'Test',
    params: { type: 'object' },
    outputs: ['out'],
    async run() {
      return { next: 'out' };
    },
  });
  const loaded = (order: string[]) => {
    const registry = new NodeRegistry();
    for (const version of order)
      registry.addInstalled('tie-nodes', version, definePackage({ name: 'tie-nodes', version, nodes: [shout] }), null);
    return registry;
  };

  test('are ordered and pinned the same whatever order a process loaded them in', () => {
    const one = loaded(['v1.5.0', '1.5.0+evil', '1.5.0']);
    const other = loaded(['1.5.0', '1.5.0+evil', 'v1.5.0']);
    const listed = (registry: NodeRegistry) => registry.installedPackages().map((p) => p.version);
    expect(listed(one)).toEqual(listed(other));
    expect(listed(one)[0]).toBe('1.5.0');
    const nodes = [{ id: 'a', type: 'tie.shout', version: 1 }];
    expect(one.pinsFor(nodes).pins).toEqual({ 'tie-nodes': '1.5.0' });
    expect(other.pinsFor(nodes).pins).toEqual({ 'tie-nodes': '1.5.0' });
  });
});
