import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { runEnds } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { createJourney, fire, publishJourney } from '../journeys.js';
import { pack, RegistryStandIn, writePackage } from '../support.js';

// A private registry: a real HTTP server on 127.0.0.1 speaking the npm registry protocol,
// which refuses requests without its token.
const TOKEN = 'npm_private-token-0123456789';
const registry = new RegistryStandIn(TOKEN);
let t: TestApp;
let worker: WorkerHandle;
let mirror: http.Server;
const mirrorAuth: (string | undefined)[] = [];

/** A dependency in CommonJS, as many npm packages still are. */
async function dependency(): Promise<Buffer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'waymark-dep-'));
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'exclaim', version: '1.2.0', main: 'index.js' }),
  );
  writeFileSync(path.join(dir, 'index.js'), "module.exports = (text) => text + '!';\n");
  return pack(dir);
}

beforeAll(async () => {
  const url = await registry.start();
  registry.publish('exclaim', { version: '1.2.0', tarball: await dependency() });
  for (const version of ['1.0.0', '1.1.0']) {
    const dir = writePackage({
      name: '@acme/private-nodes',
      prefix: 'private',
      version,
      preamble: "import exclaim from 'exclaim';",
      run: "return { next: 'out', output: { shouted: exclaim(ctx.params.text) } };",
      manifest: { dependencies: { exclaim: '^1.0.0' } },
    });
    registry.publish('@acme/private-nodes', {
      version,
      tarball: await pack(dir),
      dependencies: { exclaim: '^1.0.0' },
      description: 'Private nodes',
    });
  }
  // A tarball served from another origin: the token must not go there.
  const elsewhere = await pack(writePackage({ name: 'elsewhere-nodes', prefix: 'elsewhere', version: '1.0.0' }));
  mirror = http.createServer((req, res) => {
    mirrorAuth.push(req.headers.authorization);
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(elsewhere);
  });
  await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
  const mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/elsewhere-nodes-1.0.0.tgz`;
  registry.publish('elsewhere-nodes', { version: '1.0.0', tarball: elsewhere, tarballUrl: mirrorUrl });
  t = await createTestApp({ WAYMARK_NPM_REGISTRY: url, WAYMARK_NPM_TOKEN: TOKEN });
  worker = await startWorker(t.runtime, { pollInterval: 100 });
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await registry.stop();
  await new Promise((resolve) => mirror?.close(resolve));
});

const install = (app: TestApp, payload: object) =>
  app.app.inject({ method: 'POST', url: '/api/packages', headers: app.auth, payload });

describe('POST /api/packages { name } from a private registry with a token', () => {
  test('installs the highest version in the range, with its dependencies resolved and stored', async () => {
    const res = await install(t, { name: '@acme/private-nodes', version: '^1.0.0' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      name: '@acme/private-nodes',
      version: '1.1.0',
      source: 'installed',
      dependencies: { exclaim: '1.2.0' },
    });
    const stored = await t.runtime.db.selectFrom('node_package_dependencies').select(['name', 'version']).execute();
    expect(stored).toEqual([{ name: 'exclaim', version: '1.2.0' }]);
  });

  test('sent the token as a bearer on every request to the registry', () => {
    expect(registry.requests.length).toBeGreaterThan(0);
    for (const request of registry.requests) expect(request.authorization).toBe(`Bearer ${TOKEN}`);
  });

  test('its node runs with its dependency', async () => {
    const id = await createJourney(t, 'private.shout');
    await publishJourney(t, id);
    const { run, steps } = await runEnds(t.runtime.db, await fire(t, id), undefined, 20_000);
    expect(run.status).toBe('completed');
    expect(steps.find((s) => s.node_id === 'shout')?.output).toEqual({ shouted: 'hello Ada!' });
  }, 30_000);

  test('a dist-tag and an exact version are taken too', async () => {
    expect((await install(t, { name: '@acme/private-nodes', version: '1.0.0' })).statusCode).toBe(201);
    const latest = await install(t, { name: '@acme/private-nodes' });
    expect(latest.statusCode).toBe(200);
    expect(latest.json().version).toBe('1.1.0');
  });

  test('a version written with a leading v (v1.0.0, as npm takes it) is that version', async () => {
    const res = await install(t, { name: '@acme/private-nodes', version: 'v1.0.0' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().version).toBe('1.0.0');
  });

  test('never sends the token to a tarball on another origin', async () => {
    expect((await install(t, { name: 'elsewhere-nodes' })).statusCode).toBe(201);
    expect(mirrorAuth).toEqual([undefined]);
  });

  test('an unknown name or version answers 404', async () => {
    const name = await install(t, { name: 'no-such-package' });
    expect(name.statusCode).toBe(404);
    expect(name.json().error.code).toBe('not_found');
    expect((await install(t, { name: '@acme/private-nodes', version: '^9.0.0' })).statusCode).toBe(404);
  });

  test('a name npm would not publish answers 400 at /name, and the registry is not asked', async () => {
    const asked = registry.requests.length;
    for (const name of ['%00', '../../etc/passwd', 'Upper', '😀', "'; drop table packages; --"]) {
      const res = await install(t, { name });
      expect(res.statusCode, name).toBe(400);
      expect(res.json().error).toMatchObject({
        code: 'validation_failed',
        details: [{ path: '/name', message: 'name is not an npm package name' }],
      });
    }
    expect(registry.requests.length).toBe(asked);
  });

  test('a refused token answers 502 registry_unavailable', async () => {
    const wrong = await createTestApp({ WAYMARK_NPM_REGISTRY: registry.url, WAYMARK_NPM_TOKEN: 'npm_wrong-token' });
    try {
      const res = await install(wrong, { name: '@acme/private-nodes' });
      expect(res.statusCode).toBe(502);
      expect(res.json().error.code).toBe('registry_unavailable');
    } finally {
      await wrong.close();
    }
  }, 30_000);

  test('an unreachable registry answers 502 registry_unavailable', async () => {
    const down = await createTestApp({ WAYMARK_NPM_REGISTRY: 'http://127.0.0.1:9/' });
    try {
      const res = await install(down, { name: '@acme/private-nodes' });
      expect(res.statusCode).toBe(502);
      expect(res.json().error.code).toBe('registry_unavailable');
    } finally {
      await down.close();
    }
  }, 30_000);
});

describe('GET /api/packages/search', () => {
  test('searches the registry by the keyword and names the versions installed', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/packages/search?q=private&limit=5', headers: t.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toEqual([
      {
        name: '@acme/private-nodes',
        version: '1.1.0',
        description: 'Private nodes',
        installed: expect.arrayContaining(['1.0.0', '1.1.0']),
      },
    ]);
    const searched = registry.requests.find((r) => r.url.startsWith('/-/v1/search'));
    expect(new URL(searched?.url ?? '', registry.url).searchParams.get('text')).toBe(
      'keywords:waymark-node-package private',
    );
  });

  test('answers at most limit results, though the registry answers more', async () => {
    // The stand-in, like some mirrors, ignores `size`: two packages hold "nodes".
    const res = await t.app.inject({ method: 'GET', url: '/api/packages/search?q=nodes&limit=1', headers: t.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toHaveLength(1);
  });
});

describe('a WAYMARK_NPM_REGISTRY that answers 200 with something other than a registry document', () => {
  // A mistyped address serving a web page, or a proxy's error page: the registry cannot be
  // used, which is 502 registry_unavailable, not a package it lacks nor an empty search.
  let page: http.Server;
  let body = '';
  let other: TestApp;
  beforeAll(async () => {
    page = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(body));
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    other = await createTestApp({ WAYMARK_NPM_REGISTRY: `http://127.0.0.1:${(page.address() as AddressInfo).port}/` });
  }, 60_000);
  afterAll(async () => {
    await other?.close();
    await new Promise((resolve) => page?.close(resolve));
  });

  test('an install by name answers 502 registry_unavailable, not 404', async () => {
    body = '<html><body>Welcome</body></html>';
    const res = await install(other, { name: 'acme-nodes' });
    expect(res.statusCode).toBe(502);
    expect(res.json().error.code).toBe('registry_unavailable');
  });

  test('a search answers 502 registry_unavailable, not an empty list', async () => {
    for (const answer of ['<html><body>Welcome</body></html>', '{"objects":{"package":{}}}']) {
      body = answer;
      const res = await other.app.inject({ method: 'GET', url: '/api/packages/search?q=acme', headers: other.auth });
      expect(res.statusCode, answer).toBe(502);
      expect(res.json().error.code).toBe('registry_unavailable');
    }
  });

  test('a search hit that is not an object is passed over, not a 500', async () => {
    body = '{"objects":[null,{"package":{"name":"acme-nodes","version":"1.0.0"}}]}';
    const res = await other.app.inject({ method: 'GET', url: '/api/packages/search?q=acme', headers: other.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toEqual([{ name: 'acme-nodes', version: '1.0.0', description: null, installed: [] }]);
  });
});
