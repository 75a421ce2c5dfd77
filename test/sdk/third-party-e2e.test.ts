import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../engine/worker/start-worker.js';
import { runEnds } from '../engine/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

// A third party's path: scaffold with the starter, add an effect to its node, build, install
// (the SDK linked from this checkout stands in for `npm install`), name it in
// WAYMARK_NODE_PACKAGES, and draw a journey with it through the HTTP API.
const root = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(os.tmpdir(), 'waymark-third-party-'));
const pkgDir = path.join(work, 'globex-nodes');
const SECRET = 'a-webhook-secret-of-some-length';

let t: TestApp;
let worker: WorkerHandle;

function scaffold() {
  execFileSync('npm', ['run', '--silent', 'new-node-package', '--', pkgDir, '--name', '@globex/waymark-nodes'], {
    cwd: root,
    stdio: 'pipe',
  });
  const node = path.join(pkgDir, 'src/shout.ts');
  const source = readFileSync(node, 'utf8');
  const returns = "    return { next: 'out'";
  if (!source.includes(returns)) throw new Error('the starter node no longer returns as this test expects');
  // The author's own effect: tag the contact through the services the engine hands over.
  writeFileSync(
    node,
    source.replace(
      returns,
      `    if (ctx.contact) await ctx.contacts.addTag(ctx.contact.id, 'shouted-at');\n${returns}`,
    ),
  );
  mkdirSync(path.join(pkgDir, 'node_modules/@waymark'), { recursive: true });
  symlinkSync(path.join(root, 'engine/sdk'), path.join(pkgDir, 'node_modules/@waymark/sdk'));
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: pkgDir,
  });
}

beforeAll(async () => {
  scaffold();
  t = await createTestApp({ WAYMARK_NODE_PACKAGES: pkgDir });
  worker = await startWorker(t.runtime, { pollInterval: 100 });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  rmSync(work, { recursive: true, force: true });
});

const api = (method: 'GET' | 'POST', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });

const graph = (shoutParams: object) => ({
  nodes: [
    { id: 'hook', type: 'core.webhook', version: 1, params: { secret: SECRET }, position: { x: 0, y: 0 } },
    { id: 'shout', type: 'globex.shout', version: 1, params: shoutParams, position: { x: 0, y: 100 } },
  ],
  edges: [{ id: 'e1', source: 'hook', sourceHandle: 'out', target: 'shout' }],
});

async function journeyWith(shoutParams: object) {
  const created = await api('POST', '/api/journeys', { name: 'Shouting', graph: graph(shoutParams) });
  return created.json().id as string;
}

describe('a node package scaffolded by the starter', () => {
  test('is listed in the catalogue under its package', async () => {
    const { nodes } = (await api('GET', '/api/nodes')).json();
    expect(nodes.find((n: { type: string }) => n.type === 'globex.shout')).toMatchObject({
      version: 1,
      kind: 'action',
      package: { name: '@globex/waymark-nodes', version: '1.0.0', versions: ['1.0.0'] },
    });
    const { packages } = (await api('GET', '/api/packages')).json();
    expect(packages.find((p: { name: string }) => p.name === '@globex/waymark-nodes')).toEqual({
      name: '@globex/waymark-nodes',
      version: '1.0.0',
      source: 'environment',
      description: 'Waymark nodes: globex',
      nodes: ['globex.shout@1'],
      credentials: [],
    });
  });

  test('runs in a journey published through the API and fired by its webhook', async () => {
    const id = await journeyWith({ text: 'hello {{ trigger.name }}' });
    expect((await api('POST', `/api/journeys/${id}/publish`)).statusCode).toBe(201);
    const fired = await t.app.inject({
      method: 'POST',
      url: `/hooks/${id}/hook`,
      headers: { 'x-waymark-secret': SECRET, 'content-type': 'application/json' },
      payload: { email: 'ada@example.com', name: 'Ada' },
    });
    expect(fired.statusCode).toBe(202);
    const { runId } = fired.json();
    await runEnds(t.runtime.db, runId);

    const run = (await api('GET', `/api/runs/${runId}`)).json();
    expect(run.status).toBe('completed');
    expect(run.steps.map((s: { nodeId: string; status: string }) => [s.nodeId, s.status])).toEqual([
      ['hook', 'completed'],
      ['shout', 'completed'],
    ]);
    expect(run.steps[1].output).toEqual({ shouted: 'HELLO ADA' });
    const contact = (await api('GET', `/api/contacts/${run.contactId}`)).json();
    expect(contact.email).toBe('ada@example.com');
    expect(contact.tags.map((tag: { tag: string }) => tag.tag)).toEqual(['shouted-at']);
  });

  test('has its params checked at publishing, naming the node and the field', async () => {
    const id = await journeyWith({ loud: true });
    const res = await api('POST', `/api/journeys/${id}/publish`);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('invalid_graph');
    expect(res.json().error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ nodeId: 'shout', path: '/text' })]),
    );
  });
});
