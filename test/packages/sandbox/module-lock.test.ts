import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { runEnds } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { fire, installTarball, publishedJourney } from '../journeys.js';
import { type PackageSpec, pack, writePackage } from '../support.js';

// What an installed package's code may load in its threads (contract packages.md "Isolation and
// reach"): its own files and dependencies, @waymark/sdk and Node's built-ins, nothing of
// Waymark's own files or node_modules and no other package's folder.
const ROOT = path.resolve(import.meta.dirname, '../../..');
const ENGINE_FILE = path.join(ROOT, 'engine/db/connect.ts');
const RULE = `a package may import only its own files and dependencies, @waymark/sdk and Node's built-ins (packages.md "Isolation and reach")`;
// What no package's code may start or reach, whatever its files: processes, threads, the
// inspector, native addons and Node's internal bindings, none of which the lock would govern.
const ESCAPE = `a package may not start processes or threads, open an inspector session, load native addons or reach Node's internal bindings (packages.md "Isolation and reach")`;

let t: TestApp;
let worker: WorkerHandle;

const tarball = (spec: PackageSpec, files: Record<string, string> = {}) => {
  const dir = writePackage(spec);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return pack(dir);
};

const install = async (prefix: string, run: string, preamble = '', files: Record<string, string> = {}) => {
  const res = await installTarball(
    t,
    await tarball({ name: `${prefix}-nodes`, prefix, version: '1.0.0', run, preamble }, files),
  );
  if (res.statusCode !== 201) throw new Error(res.body);
};

beforeAll(async () => {
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 100 });
  await install(
    'own',
    `const { createRequire } = await import('node:module');
const count = createRequire(import.meta.url)('./lib/count.cjs');
const names = [typeof parentPort, typeof workerData, typeof require, typeof lockModules].join();
return { next: 'out', output: { shouted: helper(ctx.params.text), digest: createHash('sha256').update('a').digest('hex').slice(0, 8), count: count('abc'), names } };`,
    "import { createHash } from 'node:crypto';\nimport { helper } from './lib/helper.mjs';",
    {
      'lib/helper.mjs': "import { shout } from './shout.mjs';\nexport const helper = (text) => shout(text) + '!';\n",
      'lib/shout.mjs': 'export const shout = (text) => text.toUpperCase();\n',
      'lib/count.cjs':
        "const { createHash } = require('node:crypto');\nmodule.exports = (text) => text.length + (createHash('md5') ? 0 : 1);\n",
    },
  );
  // Imports a Waymark file only when a step runs: it installs, and the step fails.
  await install('engine', `await import(${JSON.stringify(pathToFileURL(ENGINE_FILE).href)}); return { next: 'out' };`);
  await install(
    'driver',
    `const { createRequire } = await import('node:module');
createRequire(import.meta.url)(${JSON.stringify(path.join(ROOT, 'node_modules/kysely'))});
return { next: 'out' };`,
  );
  // Another installed package's entry, found on disk beside its own folder.
  await install(
    'peek',
    `const { readdirSync, existsSync } = await import('node:fs');
const versions = new URL('../../../', import.meta.url);
const own = new URL('../../', import.meta.url).href;
for (const dir of readdirSync(versions)) {
  const entry = new URL(dir + '/node_modules/own-nodes/index.mjs', versions);
  if (existsSync(entry) && !entry.href.startsWith(own)) { await import(entry.href); return { next: 'out', output: { reached: true } }; }
}
throw new Error('no other package found');`,
  );
  // A process that could load anything (node -e), with any environment it is given.
  await install(
    'spawn',
    `const { execFileSync } = await import('node:child_process');
return { next: 'out', output: { out: String(execFileSync(process.execPath, ['-e', 'console.log(1)'])) } };`,
  );
  // A thread whose eval'd code no lock governs.
  await install(
    'thread',
    `const { Worker } = await import('node:worker_threads');
new Worker('require("pg")', { eval: true });
return { next: 'out' };`,
  );
  await install('bind', "process.binding('fs'); return { next: 'out' };");
  await install('builtin', "process.getBuiltinModule('node:inspector'); return { next: 'out' };");
  await install(
    'hook',
    `const { register } = await import('node:module');
register('data:text/javascript,export const resolve = (s, c, n) => n(s, c);');
return { next: 'out' };`,
  );
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const shoutStep = async (type: string) => {
  const { run, steps } = await runEnds(t.runtime.db, await fire(t, await publishedJourney(t, type)), undefined, 20_000);
  return { run, step: steps.find((s) => s.node_id === 'shout') };
};

describe('a package that imports outside its own folder at load time is refused at install (422)', () => {
  test("Waymark's node_modules through require: the specifier is named", async () => {
    const preamble = `import { createRequire } from 'node:module';\ncreateRequire(${JSON.stringify(path.join(ROOT, 'package.json'))})('pg');`;
    const res = await installTarball(t, await tarball({ name: 'pg-nodes', prefix: 'pg', version: '1.0.0', preamble }));
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error.code).toBe('invalid_package');
    expect(res.json().error.details[0].message).toContain(`cannot import "pg": ${RULE}`);
  }, 30_000);

  test('a Waymark engine file by absolute path through a static import', async () => {
    const preamble = `import * as db from ${JSON.stringify(ENGINE_FILE)};`;
    const res = await installTarball(t, await tarball({ name: 'db-nodes', prefix: 'db', version: '1.0.0', preamble }));
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error.details[0].message).toContain(`cannot import "${ENGINE_FILE}": ${RULE}`);
    const list = await t.app.inject({ method: 'GET', url: '/api/packages', headers: t.auth });
    expect(list.body).not.toContain('db-nodes');
  }, 30_000);
});

describe('a package that starts a process or thread or loads native code at load time is refused at install (422)', () => {
  test.each([
    [
      'process.dlopen of a native addon',
      'dlopen',
      "process.dlopen({ exports: {} }, '/tmp/addon.node');",
      'cannot use process.dlopen',
    ],
    [
      'node:cluster through require',
      'cluster',
      "import { createRequire } from 'node:module';\ncreateRequire(import.meta.url)('cluster');",
      'cannot import "cluster"',
    ],
  ])(
    '%s',
    async (_what, prefix, preamble, named) => {
      const res = await installTarball(
        t,
        await tarball({ name: `${prefix}-nodes`, prefix, version: '1.0.0', preamble }),
      );
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json().error.code).toBe('invalid_package');
      expect(res.json().error.details[0].message).toContain(`${named}: ${ESCAPE}`);
    },
    30_000,
  );
});

describe('a package that starts a process or thread or reaches Node internals in run fails its step with step.forbidden, not retried', () => {
  test.each([
    ['import() of node:child_process', 'spawn.shout', 'cannot import "node:child_process"'],
    ['a Worker from node:worker_threads', 'thread.shout', 'cannot import "node:worker_threads"'],
    ["process.binding('fs')", 'bind.shout', 'cannot use process.binding'],
    ["process.getBuiltinModule('node:inspector')", 'builtin.shout', 'cannot import "node:inspector"'],
  ])(
    '%s',
    async (_what, type, named) => {
      const { run, step } = await shoutStep(type);
      expect(run.status).toBe('failed');
      expect(step?.attempts).toBe(1);
      expect(step?.error).toMatchObject({ code: 'step.forbidden', message: `${named}: ${ESCAPE}`, retryable: false });
    },
    30_000,
  );
});

describe('a package that imports outside its own folder in run fails its step with step.forbidden, not retried', () => {
  test('a dynamic import() of a Waymark file', async () => {
    const { run, step } = await shoutStep('engine.shout');
    expect(run.status).toBe('failed');
    expect(step?.attempts).toBe(1);
    expect(step?.error).toMatchObject({
      code: 'step.forbidden',
      message: `cannot import "${pathToFileURL(ENGINE_FILE).href}": ${RULE}`,
    });
  }, 30_000);

  test.each([
    ["require of Waymark's database library through createRequire", 'driver.shout', 'node_modules/kysely'],
    // Its process may not even read them (Node's permission model), before the lock is asked.
    ["another installed package's files", 'peek.shout', 'a package may read only its own files'],
    [
      'registering module hooks of its own, which would answer before the lock',
      'hook.shout',
      'may not register module hooks',
    ],
  ])(
    '%s',
    async (_what, type, named) => {
      const { run, step } = await shoutStep(type);
      expect(run.status).toBe('failed');
      expect(step?.error).toMatchObject({ code: 'step.forbidden', message: expect.stringContaining(named) });
    },
    30_000,
  );
});

describe('what a package may import', () => {
  test('its own files (ES module and CommonJS, through relative paths and createRequire) and Node built-ins', async () => {
    const { run, step } = await shoutStep('own.shout');
    expect(run.status, JSON.stringify(step?.error)).toBe('completed');
    // Nothing of the thread's own program (its port, its data, its require) is in the package's reach.
    const names = 'undefined,undefined,undefined,undefined';
    expect(step?.output).toEqual({ shouted: 'HELLO ADA!', digest: 'ca978112', count: 3, names });
  }, 30_000);
});
