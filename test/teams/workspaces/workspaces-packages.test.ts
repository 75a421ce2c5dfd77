import { describe, expect, test } from 'vitest';
import { installTarball } from '../../packages/journeys.js';
import { pack, writePackage } from '../../packages/support.js';
import { useTwoWorkspaces } from '../two-workspaces.js';

// Packages are code every workspace may run, and any signed-in user may make a workspace and be
// its admin: a package's name belongs to the workspace that installed it first.
const w = useTwoWorkspaces();

const tarball = (name: string, version: string, run?: string, prefix = name.replace(/[^a-z]/g, '')) =>
  pack(writePackage({ name, version, prefix, ...(run ? { run } : {}) }));
const install = async (name: string, version: string, as: Record<string, string>, run?: string) =>
  installTarball(w.t, await tarball(name, version, run), as);
const remove = (name: string, version: string, as: Record<string, string>) =>
  w.call({ method: 'DELETE', url: `/api/packages/${name}/${version}` }, as);

describe('two workspaces: packages', () => {
  test('another workspace cannot install a newer version of a package A installed: 409, nothing stored', async () => {
    expect((await install('shout', '1.0.0', w.aAuth)).statusCode).toBe(201);
    const res = await install('shout', '9.9.9', w.bAuth, "return { next: 'out', output: { by: 'B' } };");
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'conflict', message: expect.stringContaining('another workspace') });
    const { packages } = await w.ok<{ packages: { name: string; version: string }[] }>(
      { method: 'GET', url: '/api/packages' },
      w.aAuth,
    );
    expect(packages.filter((p) => p.name === 'shout').map((p) => p.version)).toEqual(['1.0.0']);
  });

  test('nor install the same bytes again, nor remove A’s version', async () => {
    const bytes = await tarball('echo', '1.0.0');
    expect((await installTarball(w.t, bytes, w.aAuth)).statusCode).toBe(201);
    expect((await installTarball(w.t, bytes, w.bAuth)).statusCode).toBe(409);
    const res = await remove('echo', '1.0.0', w.bAuth);
    expect([res.statusCode, res.json().error.code]).toEqual([409, 'conflict']);
    expect((await w.call({ method: 'GET', url: '/api/packages/echo/1.0.0' }, w.aAuth)).statusCode).toBe(200);
  });

  test('the workspace that installed a name goes on installing and removing its versions', async () => {
    expect((await install('relay', '1.0.0', w.bAuth)).statusCode).toBe(201);
    expect((await install('relay', '1.1.0', w.bAuth)).statusCode).toBe(201);
    expect((await remove('relay', '1.0.0', w.bAuth)).statusCode).toBe(204);
    expect((await install('relay', '2.0.0', w.aAuth)).statusCode).toBe(409);
  });

  test('a name stays its workspace’s after its last version is removed', async () => {
    expect((await install('gone', '1.0.0', w.aAuth)).statusCode).toBe(201);
    expect((await remove('gone', '1.0.0', w.aAuth)).statusCode).toBe(204);
    expect((await install('gone', '2.0.0', w.bAuth)).statusCode).toBe(409);
    expect((await install('gone', '2.0.0', w.aAuth)).statusCode).toBe(201);
  });

  test('a prefix stays its workspace’s after its last version is removed: another name under it is 409', async () => {
    expect((await installTarball(w.t, await tarball('sqpkg', '1.0.0', undefined, 'sq'), w.aAuth)).statusCode).toBe(201);
    expect((await remove('sqpkg', '1.0.0', w.aAuth)).statusCode).toBe(204);
    const res = await installTarball(w.t, await tarball('@evil/sq', '1.0.0', undefined, 'sq'), w.bAuth);
    expect([res.statusCode, res.json().error.code]).toEqual([409, 'conflict']);
    expect(res.json().error.message).toContain('the prefix "sq." belongs to another workspace');
    expect((await installTarball(w.t, await tarball('sqpkg', '1.0.0', undefined, 'sq'), w.aAuth)).statusCode).toBe(201);
  });

  test('two workspaces installing one new name at once: one gets it', async () => {
    const [a, b] = await Promise.all([install('race', '1.0.0', w.aAuth), install('race', '1.0.1', w.bAuth)]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([201, 409]);
  });

  test('an unknown version is 404 whoever asks', async () => {
    expect((await remove('shout', '3.0.0', w.bAuth)).statusCode).toBe(404);
  });
});
