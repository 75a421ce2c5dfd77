import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { installStarter } from '../packages/support.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';

const root = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(os.tmpdir(), 'waymark-starter-'));
const pkgDir = path.join(work, 'acme-nodes');

beforeAll(() => {
  execFileSync(
    process.execPath,
    ['--import', 'tsx', 'engine/sdk/starter/create.ts', pkgDir, '--name', '@acme/waymark-nodes', '--prefix', 'acme'],
    { cwd: root },
  );
  installStarter(pkgDir);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm run new-node-package', () => {
  test('writes a package with a node, its test, a README and a build script', () => {
    for (const file of [
      'package.json',
      'src/index.ts',
      'src/shout.ts',
      'src/shout.test.ts',
      'README.md',
      'tsconfig.json',
    ]) {
      expect(existsSync(path.join(pkgDir, file)), file).toBe(true);
    }
  });

  test('npm install takes @waymark/sdk from this checkout, never the registry (it is on none)', () => {
    const manifest = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
    expect(manifest.devDependencies['@waymark/sdk']).toBe(`file:${path.join(root, 'engine/sdk')}`);
    expect(manifest.peerDependencies).toEqual({ '@waymark/sdk': '^0.1.0' });
    expect(manifest.dependencies).toBeUndefined();
    expect(realpathSync(path.join(pkgDir, 'node_modules/@waymark/sdk'))).toBe(path.join(root, 'engine/sdk'));
  });

  test("the generated package's tests pass as written", () => {
    const out = execFileSync(
      process.execPath,
      [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--root', pkgDir],
      { cwd: pkgDir, encoding: 'utf8' },
    );
    expect(out).toMatch(/1 passed/);
  }, 60_000);

  test('its build compiles to dist/', () => {
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      cwd: pkgDir,
    });
    expect(existsSync(path.join(pkgDir, 'dist/index.js'))).toBe(true);
  }, 60_000);

  test('refuses a folder that is not empty', () => {
    expect(() =>
      execFileSync(process.execPath, ['--import', 'tsx', 'engine/sdk/starter/create.ts', pkgDir], {
        cwd: root,
        stdio: 'pipe',
      }),
    ).toThrow(/exists and is not empty/);
  });
});

describe('loading a built package named in WAYMARK_NODE_PACKAGES', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    if (!existsSync(path.join(pkgDir, 'dist/index.js'))) {
      execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
        cwd: pkgDir,
      });
    }
    t = await createTestRuntime({ WAYMARK_NODE_PACKAGES: pkgDir });
  }, 60_000);
  afterAll(() => t?.close());

  test('its node types join the registry under its name and version', () => {
    const info = t.runtime.registry.packages.find((p) => p.name === '@acme/waymark-nodes');
    expect(info).toMatchObject({ version: '1.0.0', nodes: ['acme.shout@1'] });
    expect(info?.error).toBeUndefined();
    expect(t.runtime.registry.get('acme.shout', 1)?.package.name).toBe('@acme/waymark-nodes');
  });
});
