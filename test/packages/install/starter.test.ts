import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { runEnds } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { createJourney, fire, installTarball, publishJourney } from '../journeys.js';
import { installStarter } from '../support.js';

// The third party's whole path: `npm run new-node-package`, `npm pack` (which builds), install
// through the API, use in a journey; then a changed node shipped as a new version.
const root = path.resolve(import.meta.dirname, '../../..');
const work = mkdtempSync(path.join(os.tmpdir(), 'waymark-starter-pack-'));
const pkgDir = path.join(work, 'acme-nodes');
let t: TestApp;
let worker: WorkerHandle;

/** `npm pack` in the package folder: its prepack script builds dist/ first. */
function npmPack(): Buffer {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: pkgDir, encoding: 'utf8' });
  const [{ filename }] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[];
  return readFileSync(path.join(work, filename));
}

/** The author changes the node and bumps the version in package.json and definePackage. */
function shipChangedNode(version: string) {
  const node = path.join(pkgDir, 'src/shout.ts');
  writeFileSync(node, readFileSync(node, 'utf8').replace('ctx.params.text.toUpperCase()', "ctx.params.text + '!!'"));
  for (const file of ['package.json', 'src/index.ts']) {
    const full = path.join(pkgDir, file);
    writeFileSync(full, readFileSync(full, 'utf8').replace(/1\.0\.0/g, version));
  }
}

beforeAll(async () => {
  execFileSync('npm', ['run', '--silent', 'new-node-package', '--', pkgDir, '--name', '@acme/waymark-nodes'], {
    cwd: root,
    stdio: 'pipe',
  });
  installStarter(pkgDir);
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 100 });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('a package written by npm run new-node-package', () => {
  let journeyId: string;
  let before: string;

  test('installs through POST /api/packages as written, after npm pack', async () => {
    const res = await installTarball(t, npmPack());
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ name: '@acme/waymark-nodes', version: '1.0.0', nodes: ['acme.shout@1'] });
  }, 60_000);

  test('runs in a journey, and runs under way keep its code when a changed version is installed', async () => {
    journeyId = await createJourney(t, 'acme.shout', { waitMs: 2000 });
    await publishJourney(t, journeyId);
    before = await fire(t, journeyId, 'Ada');
    // Its first step starts the package's own process, which a loaded CI machine takes seconds to.
    await runEnds(t.runtime.db, before, ['waiting'], 30_000);

    shipChangedNode('1.1.0');
    const res = await installTarball(t, npmPack());
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().version).toBe('1.1.0');
    await publishJourney(t, journeyId);
    const after = await fire(t, journeyId, 'Bob');

    const outputOf = async (runId: string) => {
      const { run, steps } = await runEnds(t.runtime.db, runId, undefined, 20_000);
      // A failed run says why (its failure and each step's error).
      const why = JSON.stringify({ failure: run.failure, steps: steps.map((s) => [s.node_id, s.status, s.error]) });
      expect(run.status, why).toBe('completed');
      return steps.find((s) => s.node_id === 'shout')?.output;
    };
    expect(await outputOf(before)).toEqual({ shouted: 'HELLO ADA' });
    expect(await outputOf(after)).toEqual({ shouted: 'hello Bob!!' });
  }, 90_000);
});
