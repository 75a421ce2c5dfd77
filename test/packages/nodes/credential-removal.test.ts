import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { installTarball } from '../journeys.js';
import { pack, writePackage } from '../support.js';

// packages.md: "DELETE /api/packages/:name/:version → 204: the version is gone from the
// database and the answering process at once, from every other process within 5 s". A
// credential type goes with the version that defines it, unless another installed version
// still does; GET /api/credential-types and POST /api/credentials follow.

let t: TestApp;
let other: TestApp;

beforeAll(async () => {
  t = await createTestApp();
  other = await createTestApp({}, { database: t.database });
}, 60_000);
afterAll(async () => {
  await other?.close();
  await t?.close();
});

const keyType = (prefix: string, title: string) =>
  `[{ type: '${prefix}.key', title: '${title}', schema: { type: 'object', properties: { apiKey: { type: 'string' } }, required: ['apiKey'] } }]`;

async function install(name: string, prefix: string, version: string) {
  const dir = writePackage({ name, prefix, version, credentials: keyType(prefix, `Key ${version}`) });
  const res = await installTarball(t, await pack(dir));
  expect(res.statusCode, res.body).toBe(201);
}

const remove = (app: TestApp, name: string, version: string) =>
  app.app.inject({ method: 'DELETE', url: `/api/packages/${name}/${version}`, headers: app.auth });

async function typesOf(app: TestApp): Promise<{ type: string; title: string; package: { version: string } }[]> {
  return (await app.app.inject({ method: 'GET', url: '/api/credential-types', headers: app.auth })).json().types;
}

const createCredential = (app: TestApp, type: string) =>
  app.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: app.auth,
    payload: { name: `a ${type} ${Math.random()}`, type, data: { apiKey: 'k-123' } },
  });

describe('a credential type of an installed package, once its version is removed', () => {
  test('leaves GET /api/credential-types of the answering process at once', async () => {
    await install('keyed-nodes', 'keyed', '1.0.0');
    expect((await typesOf(t)).map((c) => c.type)).toContain('keyed.key');
    expect((await remove(t, 'keyed-nodes', '1.0.0')).statusCode).toBe(204);
    expect((await typesOf(t)).map((c) => c.type)).not.toContain('keyed.key');
  });

  test('is refused by POST /api/credentials with 400 validation_failed, as an unknown type', async () => {
    await install('refused-nodes', 'refused', '1.0.0');
    expect((await createCredential(t, 'refused.key')).statusCode).toBe(201);
    expect((await remove(t, 'refused-nodes', '1.0.0')).statusCode).toBe(204);
    const res = await createCredential(t, 'refused.key');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
  });

  test('stays while another installed version defines it, as the highest of those defines it', async () => {
    await install('layered-nodes', 'layered', '1.0.0');
    await install('layered-nodes', 'layered', '2.0.0');
    const listed = () => typesOf(t).then((types) => types.filter((c) => c.type === 'layered.key'));
    expect(await listed()).toMatchObject([{ title: 'Key 2.0.0', package: { version: '2.0.0' } }]);
    expect((await remove(t, 'layered-nodes', '2.0.0')).statusCode).toBe(204);
    expect(await listed()).toMatchObject([{ title: 'Key 1.0.0', package: { version: '1.0.0' } }]);
    expect((await createCredential(t, 'layered.key')).statusCode).toBe(201);
  });

  test('leaves every other process within 5 s', async () => {
    await install('distant-nodes', 'distant', '1.0.0');
    await eventually(async () => (await typesOf(other)).some((c) => c.type === 'distant.key'), 5_000);
    expect((await remove(t, 'distant-nodes', '1.0.0')).statusCode).toBe(204);
    await eventually(async () => !(await typesOf(other)).some((c) => c.type === 'distant.key'), 5_000);
    expect((await createCredential(other, 'distant.key')).statusCode).toBe(400);
  }, 20_000);
});
