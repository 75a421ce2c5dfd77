import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { runEnds } from '../../engine/support.js';
import { stubEnvironment } from '../../support/environment.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { installTarball, SECRET } from '../journeys.js';
import { pack, writePackage } from '../support.js';

// An installed package's code never runs in the process's main thread (packages.md
// "Isolation and reach"): neither its top level, at install and load, nor the functions of its
// definition (outputs, validate, readsContact), which the engine still calls as before.
let t: TestApp;
let worker: WorkerHandle;
let base = '';
const elsewhere = path.join(os.tmpdir(), `waymark-spy-${process.pid}-${Date.now()}.json`);
const flags = globalThis as { waymarkSpyLoaded?: boolean; waymarkSpyValidated?: boolean };

// What the package's top level sees and may do, in whichever thread imports it: kept for its
// node's output.
const spyPreamble = `
globalThis.waymarkSpyLoaded = true;
const fs = await import('node:fs');
const tried = (act) => { try { act(); return 'done'; } catch (error) { return error.code; } };
const seen = {
  database: process.env.DATABASE_URL ?? null,
  secret: process.env.WAYMARK_SECRET_KEY ?? null,
  keys: Object.keys(process.env).length,
  environ: tried(() => fs.readFileSync('/proc/self/environ')),
  parentEnviron: tried(() => fs.readFileSync('/proc/' + process.ppid + '/environ')),
  wrote: tried(() => fs.writeFileSync(${JSON.stringify(elsewhere)}, '{}')),
};`;
const SEEN = {
  database: null,
  secret: null,
  keys: 0,
  environ: 'ERR_ACCESS_DENIED',
  parentEnviron: 'ERR_ACCESS_DENIED',
  wrote: 'ERR_ACCESS_DENIED',
};

// A split whose outputs are its variants, and which needs two of them.
const splitNode = `params: { type: 'object', properties: { text: { type: 'string' }, variants: { type: 'array', items: { type: 'string' } } }, required: ['text', 'variants'] },
  outputs: (params) => params.variants,
  validate: (params) => (params.variants.length < 2 ? [{ path: '/variants', message: 'at least two variants, ' + params.variants.length + ' given' }] : []),
  readsContact: (params) => !params.variants.includes('anonymous'),
  maxAttempts: 1,`;

beforeAll(async () => {
  // What a package must not see, set as a deployment sets them (given back after).
  stubEnvironment({
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/waymark',
    WAYMARK_SECRET_KEY: process.env.WAYMARK_SECRET_KEY ?? 'test-secret-key-0123456789',
  });
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 100 });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const install = async (spec: Parameters<typeof writePackage>[0]) => {
    const res = await installTarball(t, await pack(writePackage(spec)));
    if (res.statusCode !== 201) throw new Error(res.body);
  };
  await install({
    name: 'spy-nodes',
    prefix: 'spy',
    version: '1.0.0',
    preamble: spyPreamble,
    node: 'validate: () => { globalThis.waymarkSpyValidated = true; return []; }, maxAttempts: 1,',
    run: "return { next: 'out', output: seen };",
  });
  await install({
    name: 'split-nodes',
    prefix: 'split',
    version: '1.0.0',
    node: splitNode,
    run: 'return { next: ctx.params.variants[0], output: { contact: ctx.contact === null ? null : ctx.contact.email } };',
  });
  await install({ name: 'loops-nodes', prefix: 'loops', version: '1.0.0', node: 'validate: () => { for (;;) {} },' });
  // A validate that names its process (`pid`), that works on while its process is killed from
  // outside (`spin`), or that closes its process's channel to Waymark and then answers nothing
  // (`cut`); other params it takes.
  await install({
    name: 'dies-nodes',
    prefix: 'dies',
    version: '1.0.0',
    preamble: "const net = await import('node:net');",
    node: `validate: (params) => {
      if (params.text === 'pid') return [{ path: '', message: String(process.pid) }];
      if (params.text === 'spin') for (const until = Date.now() + 5000; Date.now() < until; ) {}
      if (params.text === 'cut') {
        new net.Socket({ fd: 3, readable: false, writable: false }).destroy();
        for (const until = Date.now() + 5000; Date.now() < until; ) {}
      }
      return [];
    },`,
  });
  await install({
    name: 'slowdef-nodes',
    prefix: 'slowdef',
    version: '1.0.0',
    node: 'outputs: () => { for (;;) {} },',
  });
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  vi.unstubAllEnvs();
});

const api = async (method: string, url: string, body?: unknown) => {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { ...t.auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { [k: string]: never } };
};

const at = (y: number) => ({ x: 0, y });

/** What validating a journey answers when its `pkg` node's validate failed with `message`. */
const pkgProblem = (message: RegExp) => ({
  valid: false,
  errors: [{ nodeId: 'pkg', path: '', message: expect.stringMatching(message) }],
});

/** A journey webhook → `node` → one exit per output named in `exits`; returns its id. */
async function journey(node: { type: string; params: Record<string, unknown> }, exits: string[] = ['out']) {
  const nodes = [
    { id: 'hook', type: 'core.webhook', version: 1, params: { secret: SECRET }, position: at(0) },
    { id: 'pkg', version: 1, position: at(100), ...node },
    ...exits.map((output, i) => ({
      id: `to-${output}`,
      type: 'core.exit',
      version: 1,
      params: {},
      position: at(200 + i),
    })),
  ];
  const edges = [
    { id: 'e-hook', source: 'hook', sourceHandle: 'out', target: 'pkg' },
    ...exits.map((output) => ({ id: `e-${output}`, source: 'pkg', sourceHandle: output, target: `to-${output}` })),
  ];
  const created = await api('POST', '/api/journeys', { name: node.type, graph: { nodes, edges } });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  return created.body.id as unknown as string;
}

async function fire(id: string) {
  const res = await fetch(`${base}/hooks/${id}/hook`, {
    method: 'POST',
    headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ada@example.com', name: 'Ada' }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

describe("an installed package's top-level code", () => {
  test('never runs in the main thread: no global it sets, an empty environment, no file of the process to read or write', async () => {
    expect(flags.waymarkSpyLoaded).toBeUndefined();
    expect(existsSync(elsewhere)).toBe(false);
    const id = await journey({ type: 'spy.shout', params: { text: 'hi' } });
    expect((await api('POST', `/api/journeys/${id}/validate`)).body).toEqual({ valid: true });
    expect(flags.waymarkSpyValidated).toBeUndefined();
    expect((await api('POST', `/api/journeys/${id}/publish`)).status).toBe(201);
    const { run, steps } = await runEnds(t.runtime.db, await fire(id), undefined, 20_000);
    expect(run.status).toBe('completed');
    expect(steps.find((s) => s.node_id === 'pkg')?.output).toEqual(SEEN);
    expect(flags.waymarkSpyLoaded).toBeUndefined();
  }, 60_000);
});

describe("an installed package's definition functions, computed in its thread", () => {
  test('validate refuses params at publish, naming the node and the params path', async () => {
    const id = await journey({ type: 'split.shout', params: { text: 'hi', variants: ['a'] } }, ['a']);
    const res = await api('POST', `/api/journeys/${id}/publish`);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: 'invalid_graph',
      details: [{ nodeId: 'pkg', path: '/variants', message: 'at least two variants, 1 given' }],
    });
  });

  test('outputs of the params check the edges, and a run leaves by one of them', async () => {
    const wrong = await journey({ type: 'split.shout', params: { text: 'hi', variants: ['a', 'b'] } }, ['a', 'c']);
    const refused = await api('POST', `/api/journeys/${wrong}/validate`);
    expect(refused.body.errors).toContainEqual({
      edgeId: 'e-c',
      nodeId: 'pkg',
      message: 'edge e-c: node pkg (split.shout) has no output "c" (its outputs: "a", "b", "error")',
    });
    const id = await journey({ type: 'split.shout', params: { text: 'hi', variants: ['a', 'b'] } }, ['a', 'b']);
    expect((await api('POST', `/api/journeys/${id}/publish`)).status).toBe(201);
    const { run, steps } = await runEnds(t.runtime.db, await fire(id), undefined, 20_000);
    expect(run.status).toBe('completed');
    expect(steps.map((s) => s.node_id)).toContain('to-a');
    // readsContact(params) said yes: the step saw its contact.
    expect(steps.find((s) => s.node_id === 'pkg')?.output).toEqual({ contact: 'ada@example.com' });
  }, 60_000);

  test('readsContact(params) saying no starts the step without its contact', async () => {
    const params = { text: 'hi', variants: ['anonymous', 'b'] };
    const id = await journey({ type: 'split.shout', params }, ['anonymous', 'b']);
    expect((await api('POST', `/api/journeys/${id}/publish`)).status).toBe(201);
    const { steps } = await runEnds(t.runtime.db, await fire(id), undefined, 20_000);
    expect(steps.find((s) => s.node_id === 'pkg')?.output).toEqual({ contact: null });
  }, 60_000);

  test('a validate that never returns fails the check in bounded time, and the server goes on answering', async () => {
    const id = await journey({ type: 'loops.shout', params: { text: 'hi' } });
    const started = Date.now();
    const res = await api('POST', `/api/journeys/${id}/validate`);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(res.body).toEqual(
      pkgProblem(
        /validate of loops\.shout@1 \(loops-nodes@1\.0\.0\) did not answer within 2000 ms: it must be synchronous/,
      ),
    );
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await api('GET', '/api/nodes')).status).toBe(200);
  }, 30_000);

  test('a validate that did not answer is not waited for again: the next check answers at once with the same problem', async () => {
    const id = await journey({ type: 'loops.shout', params: { text: 'again' } });
    const first = await api('POST', `/api/journeys/${id}/validate`);
    const started = Date.now();
    expect((await api('POST', `/api/journeys/${id}/validate`)).body).toEqual(first.body);
    expect(Date.now() - started).toBeLessThan(1_000);
  }, 30_000);

  test("a validate whose package's process dies fails the check at once, naming the ended process, and the next check runs in a new one", async () => {
    const named = await api(
      'POST',
      `/api/journeys/${await journey({ type: 'dies.shout', params: { text: 'pid' } })}/validate`,
    );
    const pid = Number((named.body.errors as unknown as { message: string }[])[0]?.message);
    expect(pid).toBeGreaterThan(0);
    const id = await journey({ type: 'dies.shout', params: { text: 'spin' } });
    // Killed from outside half a second into its validate, which this process blocks on.
    const killer = spawn('sh', ['-c', `sleep 0.5; kill -9 ${pid}`], { stdio: 'ignore' });
    const started = Date.now();
    const res = await api('POST', `/api/journeys/${id}/validate`);
    expect(Date.now() - started).toBeLessThan(1_500);
    await new Promise((resolve) => killer.once('exit', resolve));
    expect(res.body).toEqual(
      pkgProblem(
        /validate of dies\.shout@1 \(dies-nodes@1\.0\.0\) was not answered: the package's process ended \(signal SIGKILL\)/,
      ),
    );
    const next = await journey({ type: 'dies.shout', params: { text: 'live' } });
    expect((await api('POST', `/api/journeys/${next}/validate`)).body).toEqual({ valid: true });
  }, 30_000);

  test("a validate whose package's process loses its channel to Waymark fails the check at once, naming the lost channel", async () => {
    const id = await journey({ type: 'dies.shout', params: { text: 'cut' } });
    // Its process running already: the time measured is the call's alone.
    const running = await journey({ type: 'dies.shout', params: { text: 'running' } });
    expect((await api('POST', `/api/journeys/${running}/validate`)).body).toEqual({ valid: true });
    const started = Date.now();
    const res = await api('POST', `/api/journeys/${id}/validate`);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(res.body).toEqual(
      pkgProblem(
        /validate of dies\.shout@1 \(dies-nodes@1\.0\.0\) was not answered: the package's process ended \(it lost its channel to Waymark\)/,
      ),
    );
    const next = await journey({ type: 'dies.shout', params: { text: 'still alive' } });
    expect((await api('POST', `/api/journeys/${next}/validate`)).body).toEqual({ valid: true });
  }, 30_000);

  test("an outputs that never returns is its node's problem: publishing is 422 naming it, and it is not waited for again", async () => {
    const id = await journey({ type: 'slowdef.shout', params: { text: 'hi' } });
    const problem = {
      nodeId: 'pkg',
      message: expect.stringMatching(
        /^outputs could not be computed: outputs of slowdef\.shout@1 \(slowdef-nodes@1\.0\.0\) did not answer within 2000 ms/,
      ),
    };
    const published = await api('POST', `/api/journeys/${id}/publish`);
    expect(published.status).toBe(422);
    expect(published.body.error).toMatchObject({ code: 'invalid_graph', details: [problem] });
    const started = Date.now();
    expect((await api('POST', `/api/journeys/${id}/validate`)).body).toEqual({ valid: false, errors: [problem] });
    expect(Date.now() - started).toBeLessThan(1_000);
  }, 30_000);
});

describe('a package refused from its description, nothing of it run in the main thread', () => {
  const refused = async (dir: string) => {
    const res = await installTarball(t, await pack(dir));
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error.code).toBe('invalid_package');
    return res.json().error.details[0].message as string;
  };

  test('a default export that is not definePackage(...)', async () => {
    const dir = writePackage({ name: 'plain-nodes', prefix: 'plain', version: '1.0.0' });
    writeFileSync(
      path.join(dir, 'index.mjs'),
      "globalThis.waymarkSpyLoaded = true; export default { hello: 'world' };",
    );
    expect(await refused(dir)).toContain('the default export is not a definePackage({ name, version, nodes }) value');
    expect(flags.waymarkSpyLoaded).toBeUndefined();
  });
});
