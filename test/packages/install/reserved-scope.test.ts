import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { integrityOf } from '../../../engine/packages/tarball-digest.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { installTarball } from '../journeys.js';
import { pack, RegistryStandIn, writePackage } from '../support.js';

// The @waymark/ scope is Waymark's: a package under it would stand in for a built-in (its
// name and version, its prefix) in the catalogue, and could never be removed.
const registry = new RegistryStandIn();
let t: TestApp;
const RESERVED = "the @waymark/ scope is Waymark's own (its built-in packages and SDK): publish under another name";
const CRM = '@waymark/nodes-crm';

beforeAll(async () => {
  await registry.start();
  t = await createTestApp({ WAYMARK_NPM_REGISTRY: registry.url });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await registry.stop();
});

const get = (app: TestApp, url: string) => app.app.inject({ method: 'GET', url, headers: app.auth });
const builtinVersion = async () =>
  (await get(t, '/api/packages')).json().packages.find((p: { name: string }) => p.name === CRM).version as string;
/** A package posing as the built-in: its name, its version, a new type under its prefix. */
const squatter = async (name: string, version: string) => pack(writePackage({ name, prefix: 'crm', version }));

describe('a package under the @waymark/ scope', () => {
  test("named as a built-in, even with the built-in's version, is refused with 422 at /name", async () => {
    const version = await builtinVersion();
    for (const name of [CRM, '@waymark/sdk', '@waymark/nodes-extra']) {
      const res = await installTarball(t, await squatter(name, version));
      expect(res.statusCode, name).toBe(422);
      expect(res.json().error).toMatchObject({
        code: 'invalid_package',
        details: [{ path: '/name', message: RESERVED }],
      });
    }
    const entry = (await get(t, `/api/packages/${encodeURIComponent(CRM)}/${version}`)).json();
    expect(entry.source).toBe('builtin');
  });

  test('asked of the registry by name is refused with 422 at /name, and the registry is not asked', async () => {
    const asked = registry.requests.length;
    const res = await t.app.inject({ method: 'POST', url: '/api/packages', headers: t.auth, payload: { name: CRM } });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual([{ path: '/name', message: RESERVED }]);
    expect(registry.requests.length).toBe(asked);
  });

  test('stored before this rule, it does not load, shadows nothing and can be removed', async () => {
    const version = await builtinVersion();
    const tarball = await squatter(CRM, version);
    await t.runtime.db
      .insertInto('node_packages')
      .values({
        name: CRM,
        version,
        integrity: integrityOf(tarball),
        tarball,
        manifest: JSON.stringify({ name: CRM, version }),
      })
      .execute();
    const started = await createTestApp({ WAYMARK_NPM_REGISTRY: registry.url }, { database: t.database });
    try {
      const url = `/api/packages/${encodeURIComponent(CRM)}/${version}`;
      expect((await get(started, url)).json()).toMatchObject({
        source: 'builtin',
        nodes: expect.arrayContaining(['crm.tag@1']),
      });
      const listed = (await get(started, '/api/packages'))
        .json()
        .packages.filter((p: { name: string }) => p.name === CRM);
      expect(listed.find((p: { source: string }) => p.source === 'installed')).toMatchObject({ error: RESERVED });
      const types = (await get(started, '/api/nodes')).json().nodes.map((n: { type: string }) => n.type);
      expect(types).not.toContain('crm.shout');
      const removed = await started.app.inject({ method: 'DELETE', url, headers: started.auth });
      expect(removed.statusCode, removed.body).toBe(204);
      const after = (await get(started, '/api/packages'))
        .json()
        .packages.filter((p: { name: string }) => p.name === CRM);
      expect(after.map((p: { source: string }) => p.source)).toEqual(['builtin']);
      const again = await started.app.inject({ method: 'DELETE', url, headers: started.auth });
      expect(again.statusCode).toBe(409);
    } finally {
      await started.close();
    }
  }, 60_000);
});
