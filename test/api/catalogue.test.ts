import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';

// A package that does not even parse; written at test time so that tsc and biome never see it.
const brokenDir = mkdtempSync(path.join(os.tmpdir(), 'waymark-broken-package-'));
const broken = path.join(brokenDir, 'index.mjs');
writeFileSync(broken, 'export default definePackage({ name: "broken", nodes: [ ;\n');

const FIXTURES = [
  './test/fixtures/packages/good/index.ts',
  broken,
  './test/fixtures/packages/duplicate-type/index.ts',
  './test/fixtures/packages/foreign-prefix/index.ts',
  './test/fixtures/packages/bad-schema/index.ts',
  './test/fixtures/packages/clash/index.ts',
  'waymark-no-such-package',
];

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ WAYMARK_NODE_PACKAGES: FIXTURES.join(',') });
});
afterAll(async () => {
  await t?.close();
  rmSync(brokenDir, { recursive: true, force: true });
});

type PackageAnswer = {
  name: string;
  version: string;
  nodes: string[];
  credentials: string[];
  error?: string;
  description?: string | null;
};
async function packages(): Promise<PackageAnswer[]> {
  const res = await t.app.inject({ method: 'GET', url: '/api/packages', headers: t.auth });
  expect(res.statusCode).toBe(200);
  return res.json().packages;
}

describe('GET /api/nodes', () => {
  test('lists each node type of a loaded package with its schema, outputs and package', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/nodes', headers: t.auth });
    expect(res.statusCode).toBe(200);
    const step = res.json().nodes.find((n: { type: string }) => n.type === 'fixture.step');
    expect(step).toEqual({
      type: 'fixture.step',
      version: 1,
      kind: 'action',
      title: 'Step',
      description: 'Does a thing.',
      category: 'Fixture',
      params: {
        type: 'object',
        properties: {
          text: { type: 'string', format: 'template' },
          account: { type: 'string', format: 'credential', credentialType: 'fixture.key' },
        },
        required: ['text'],
        additionalProperties: false,
      },
      // The engine's error output, listed last (API.md "Node settings").
      outputs: ['out', 'error'],
      credentials: ['fixture.key'],
      // `versions`: every installed version of the package (contracts/packages.md).
      package: { name: 'fixture-good', version: '2.1.0', versions: ['2.1.0'] },
    });
  });

  test('gives null outputs for a type whose outputs depend on its params', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/nodes', headers: t.auth });
    const fork = res.json().nodes.find((n: { type: string }) => n.type === 'fixture.fork');
    expect(fork).toMatchObject({ version: 2, kind: 'condition', outputs: null });
  });

  test('lists no node of a refused package', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/nodes', headers: t.auth });
    const types: string[] = res.json().nodes.map((n: { type: string }) => n.type);
    expect(types.filter((type) => /^(dup|mine|theirs|broken)\./.test(type))).toEqual([]);
    expect(types.filter((type) => type === 'fixture.step')).toHaveLength(1);
  });

  test('needs a token', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/nodes' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
  });
});

describe('GET /api/packages', () => {
  test("lists the built-in packages with their package.json's description", async () => {
    const core = (await packages()).find((p) => p.name === '@waymark/nodes-core');
    expect(core).toMatchObject({ source: 'builtin', description: expect.stringContaining('core nodes') });
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/packages/@waymark/nodes-core/${core?.version}`,
      headers: t.auth,
    });
    expect(res.json()).toMatchObject({ description: core?.description });
  });

  test('lists a loaded package with its node and credential types and no error', async () => {
    const good = (await packages()).find((p) => p.name === 'fixture-good');
    expect(good).toEqual({
      name: 'fixture-good',
      version: '2.1.0',
      nodes: ['fixture.start@1', 'fixture.step@1', 'fixture.fork@2'],
      credentials: ['fixture.key'],
      // Loaded from WAYMARK_NODE_PACKAGES, not installed through the API.
      source: 'environment',
      description: null,
    });
  });

  test('reports a package with a syntax error, by the name it was configured with', async () => {
    const failed = (await packages()).find((p) => p.name === broken);
    expect(failed).toMatchObject({ version: 'unknown', nodes: [], error: expect.any(String) });
  });

  test('reports a package that is not installed', async () => {
    const failed = (await packages()).find((p) => p.name === 'waymark-no-such-package');
    expect(failed?.error).toMatch(/waymark-no-such-package/);
  });

  test('reports a package that defines one type twice', async () => {
    const dup = (await packages()).find((p) => p.name === 'fixture-duplicate');
    expect(dup).toMatchObject({ nodes: ['dup.x@1', 'dup.x@1'], error: 'dup.x@1 is defined twice' });
  });

  test('reports a package with a type outside its prefix', async () => {
    const foreign = (await packages()).find((p) => p.name === 'fixture-foreign');
    expect(foreign?.error).toBe('"theirs.y" is outside the package\'s prefix "mine."');
  });

  test('reports a package whose prefix another package holds', async () => {
    const clash = (await packages()).find((p) => p.name === 'fixture-clash');
    expect(clash?.error).toBe('the prefix "fixture." belongs to fixture-good');
  });

  test('reports a package whose params schema is not JSON Schema', async () => {
    const bad = (await packages()).find((p) => p.name === 'fixture-bad-schema');
    expect(bad).toMatchObject({ version: '1.0.0', nodes: ['broken.x@1'] });
    expect(bad?.error).toMatch(/^broken\.x@1: params is not a valid JSON Schema/);
  });
});
