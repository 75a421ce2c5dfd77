import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { eventually, runEnds } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { createJourney, fire, installTarball, publishJourney } from '../journeys.js';
import { pack, packageProcesses, writePackage } from '../support.js';

let t: TestApp;
let worker: WorkerHandle;

beforeAll(async () => {
  t = await createTestApp();
  worker = await startWorker(t.runtime, { pollInterval: 100 });
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const get = (url: string) => t.app.inject({ method: 'GET', url, headers: t.auth });

describe('POST /api/packages with an npm pack tarball', () => {
  test('installs the package: 201 with its entry, its nodes in the catalogue', async () => {
    const res = await installTarball(t, await pack(writePackage({ name: '@acme/waymark-nodes', version: '1.0.0' })));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      name: '@acme/waymark-nodes',
      version: '1.0.0',
      source: 'installed',
      description: 'Test nodes 1.0.0',
      nodes: ['acme.shout@1'],
      credentials: [],
      integrity: expect.stringMatching(/^sha512-/),
      dependencies: {},
      usedBy: [],
      loadErrors: [],
    });
    const { nodes } = (await get('/api/nodes')).json();
    expect(nodes.find((n: { type: string }) => n.type === 'acme.shout')).toMatchObject({
      version: 1,
      package: { name: '@acme/waymark-nodes', version: '1.0.0', versions: ['1.0.0'] },
    });
  });

  test('runs its node in a published journey', async () => {
    const id = await createJourney(t, 'acme.shout');
    await publishJourney(t, id);
    const { run, steps } = await runEnds(t.runtime.db, await fire(t, id), undefined, 20_000);
    expect(run.status).toBe('completed');
    expect(steps.find((s) => s.node_id === 'shout')?.output).toEqual({ shouted: 'HELLO ADA' });
    const version = (await get(`/api/journeys/${id}/versions/1`)).json();
    expect(version.packages).toEqual({ '@acme/waymark-nodes': '1.0.0' });
  }, 30_000);

  test('lists it with its README by name, percent-encoded or literal', async () => {
    for (const url of ['/api/packages/%40acme%2Fwaymark-nodes/1.0.0', '/api/packages/@acme/waymark-nodes/1.0.0']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.json()).toMatchObject({ name: '@acme/waymark-nodes', readme: expect.stringContaining('Shouts.') });
    }
    const { sdk, packages } = (await get('/api/packages')).json();
    expect(sdk).toBe('0.1.0');
    expect(packages.find((p: { name: string }) => p.name === '@acme/waymark-nodes').usedBy).toEqual([
      expect.objectContaining({ journeyName: 'Shouting', version: 1 }),
    ]);
  });

  test('the same name, version and bytes again answers 200; other bytes 409', async () => {
    const dir = writePackage({ name: '@acme/same', prefix: 'same', version: '1.0.0' });
    const bytes = await pack(dir);
    expect((await installTarball(t, bytes)).statusCode).toBe(201);
    expect((await installTarball(t, bytes)).statusCode).toBe(200);
    const other = await pack(
      writePackage({ name: '@acme/same', prefix: 'same', version: '1.0.0', run: "return { next: 'out' };" }),
    );
    const res = await installTarball(t, other);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('conflict');
  });
});

describe('a package that breaks the rules is refused with 422 and nothing is stored', () => {
  const refused = async (spec: Parameters<typeof writePackage>[0]) => {
    const res = await installTarball(t, await pack(writePackage(spec)));
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error.code).toBe('invalid_package');
    const listed = (await get('/api/packages')).json().packages.map((p: { name: string }) => p.name);
    expect(listed).not.toContain(spec.name);
    return res.json().error.details as { path: string; message: string }[];
  };

  test('without the waymark-node-package keyword', async () => {
    const details = await refused({
      name: 'no-keyword',
      prefix: 'nokw',
      version: '1.0.0',
      manifest: { keywords: ['waymark'] },
    });
    expect(details).toEqual([{ path: '/keywords', message: expect.stringContaining('waymark-node-package') }]);
  });

  test('with an @waymark/sdk peer range that excludes the running SDK', async () => {
    const details = await refused({
      name: 'too-new',
      prefix: 'toonew',
      version: '1.0.0',
      manifest: { peerDependencies: { '@waymark/sdk': '^2.0.0' } },
    });
    expect(details).toEqual([{ path: '/peerDependencies/@waymark~1sdk', message: '^2.0.0 does not include 0.1.0' }]);
  });

  test('whose main names a file outside the package', async () => {
    const details = await refused({
      name: 'main-escapes',
      prefix: 'mainesc',
      version: '1.0.0',
      manifest: { main: '../../../outside.js' },
    });
    expect(details).toEqual([{ path: '/main', message: expect.stringContaining('not a file inside the package') }]);
  });

  test('whose exports name a file outside the package', async () => {
    const details = await refused({
      name: 'exports-escape',
      prefix: 'expesc',
      version: '1.0.0',
      manifest: { exports: '/etc/passwd' },
    });
    expect(details).toEqual([{ path: '/exports', message: expect.stringContaining('not a file inside the package') }]);
  });

  test('whose entry throws on import, with the thrown message', async () => {
    const details = await refused({
      name: 'throws',
      prefix: 'throws',
      version: '1.0.0',
      preamble: "throw new Error('boom at import');",
    });
    expect(details[0]?.message).toContain('boom at import');
  });

  test('whose entry exits the process on import: the server goes on', async () => {
    const details = await refused({ name: 'exits', prefix: 'exits', version: '1.0.0', preamble: 'process.exit(1);' });
    expect(details[0]?.message).toContain('exited with code 1');
    expect((await get('/api/nodes')).statusCode).toBe(200);
  });

  test('whose entry never finishes loading', async () => {
    const details = await refused({ name: 'loops', prefix: 'loops', version: '1.0.0', preamble: 'for (;;) {}' });
    expect(details[0]?.message).toContain('did not finish loading within');
  }, 30_000);

  test('whose node params is not a valid JSON Schema, naming the node type', async () => {
    const details = await refused({
      name: 'bad-schema',
      prefix: 'badschema',
      version: '1.0.0',
      node: "params: { type: 'object', properties: { text: { type: 'nonsense-type' } } },",
    });
    expect(details).toEqual([
      {
        path: '/nodes/0/params/properties/text/type',
        message: expect.stringMatching(/^badschema\.shout@1: params is not a valid JSON Schema: .+/),
      },
    ]);
  });

  test('whose node timeoutMs is no time limit a timer can hold, or maxAttempts no count of attempts', async () => {
    const cases = [
      ['timeoutMs: 3000000000,', 'timeoutMs must be a whole number of milliseconds'],
      ['timeoutMs: -5,', 'timeoutMs must be a whole number of milliseconds'],
      ["timeoutMs: '30s',", 'timeoutMs must be a whole number of milliseconds'],
      ['maxAttempts: 0,', 'maxAttempts must be a whole number from 1'],
      ['maxAttempts: 1.5,', 'maxAttempts must be a whole number from 1'],
    ];
    for (const [i, [node, message]] of cases.entries()) {
      const details = await refused({ name: `limits${i}`, prefix: `limits${i}`, version: '1.0.0', node });
      const field = message?.split(' ')[0];
      expect(details, node).toEqual([
        { path: `/nodes/0/${field}`, message: expect.stringContaining(`limits${i}.shout: ${message}`) },
      ]);
    }
  }, 60_000);

  test('whose node has no title, description or category, which the catalogue lists', async () => {
    for (const field of ['title', 'description', 'category']) {
      const prefix = `no${field}`;
      const details = await refused({
        name: `${prefix}-nodes`,
        prefix,
        version: '1.0.0',
        node: `${field}: undefined,`,
      });
      expect(details).toEqual([{ path: `/nodes/0/${field}`, message: `${prefix}.shout: ${field} must be a string` }]);
    }
    expect((await get('/api/nodes')).statusCode).toBe(200);
  }, 30_000);

  test('whose credential type has no title, no schema, a schema that is no JSON Schema, or is defined twice', async () => {
    const credentials = `[{ type: 'creds.a', schema: { type: 'object' } },
      { type: 'creds.b', title: 'B' },
      { type: 'creds.c', title: 'C', schema: { type: 'nonsense-type' } },
      { type: 'creds.d', title: 'D', schema: { type: 'object' } },
      { type: 'creds.d', title: 'D again', schema: { type: 'object' } }]`;
    const details = await refused({ name: 'creds-nodes', prefix: 'creds', version: '1.0.0', credentials });
    expect(details).toEqual([
      { path: '/credentials/0/title', message: 'creds.a: title must be a non-empty string' },
      { path: '/credentials/1/schema', message: 'creds.b: schema must be a JSON Schema object' },
      {
        path: '/credentials/2/schema/type',
        message: expect.stringMatching(/^creds\.c: schema is not a valid JSON Schema: .+/),
      },
      { path: '/credentials/4', message: 'the credential type creds.d is defined twice' },
    ]);
    const types = await get('/api/credential-types');
    expect(types.statusCode).toBe(200);
  });

  test('whose types lie outside its prefix, each named in a detail of its own', async () => {
    const credentials = `[{ type: 'acme.api-key', title: 'Key', schema: { type: 'object' } },
      { type: 'email.smtp', title: 'SMTP', schema: { type: 'object' } }]`;
    const details = await refused({ name: 'thief-nodes', prefix: 'thief', version: '1.0.0', credentials });
    expect(details).toEqual([
      { path: '/credentials/0/type', message: `"acme.api-key" is outside the package's prefix "thief."` },
      { path: '/credentials/1/type', message: `"email.smtp" is outside the package's prefix "thief."` },
    ]);
  });

  test('whose default export names another version than package.json', async () => {
    const dir = writePackage({
      name: 'mismatch',
      prefix: 'mismatch',
      version: '1.0.0',
      manifest: { version: '1.0.1' },
    });
    const res = await installTarball(t, await pack(dir));
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details[0]).toMatchObject({ path: '/version' });
  });

  test('and keeps no process of its own once refused', async () => {
    const before = packageProcesses(t.runtime);
    const dir = writePackage({ name: 'refused', prefix: 'refused', version: '1.0.0', manifest: { version: '1.0.1' } });
    expect((await installTarball(t, await pack(dir))).statusCode).toBe(422);
    await eventually(async () => packageProcesses(t.runtime) <= before, 5_000);
  });

  test('whose node types are under a built-in prefix', async () => {
    const details = await refused({ name: 'squatter', prefix: 'core', version: '1.0.0' });
    expect(details[0]?.message).toContain('belongs to @waymark/nodes-core');
  });

  test('bytes that are not a tarball', async () => {
    const details = await refused({ name: 'x', version: '1.0.0' }).catch(() => null);
    expect(details).not.toBeNull();
    const res = await installTarball(t, Buffer.from('not a tarball at all'));
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details[0].message).toContain('does not unpack');
  });

  test('an empty upload says it is empty', async () => {
    const res = await installTarball(t, Buffer.alloc(0));
    expect([res.statusCode, res.json().error.code]).toEqual([422, 'invalid_package']);
    expect(res.json().error.details).toEqual([
      { path: '', message: 'the upload is empty: send the bytes of an npm pack tarball' },
    ]);
  });
});

describe('the route', () => {
  test('takes a tarball over the API-wide 1 MiB body limit, and refuses one over 50 MiB (413)', async () => {
    const dir = writePackage({ name: 'big-nodes', prefix: 'big', version: '1.0.0' });
    writeFileSync(path.join(dir, 'blob.bin'), randomBytes(2 * 1024 * 1024));
    expect((await installTarball(t, await pack(dir))).statusCode).toBe(201);
    const huge = await installTarball(t, Buffer.alloc(50 * 1024 * 1024 + 1));
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('payload_too_large');
  }, 30_000);

  test('takes no other content type (415)', async () => {
    for (const type of ['text/plain', 'multipart/form-data; boundary=x']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/packages',
        headers: { ...t.auth, 'content-type': type },
        payload: '--x--',
      });
      expect(res.statusCode, type).toBe(415);
      expect(res.json().error.code).toBe('unsupported_media_type');
    }
  });

  test('needs admin: a token without it gets 403 and nothing is installed', async () => {
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: t.auth,
      payload: { name: 'editor', scopes: ['journeys:read', 'journeys:write', 'journeys:publish'] },
    });
    const editor = { authorization: `Bearer ${made.json().token}` };
    const res = await installTarball(
      t,
      await pack(writePackage({ name: 'sneaky', prefix: 'sneaky', version: '1.0.0' })),
      editor,
    );
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('forbidden');
    const del = await t.app.inject({ method: 'DELETE', url: '/api/packages/%40acme%2Fsame/1.0.0', headers: editor });
    expect(del.statusCode).toBe(403);
    expect((await get('/api/packages')).json().packages.map((p: { name: string }) => p.name)).not.toContain('sneaky');
  });

  test('removing a built-in package answers 409, an unknown one 404', async () => {
    const builtin = await t.app.inject({
      method: 'DELETE',
      url: '/api/packages/%40waymark%2Fnodes-core/0.1.0',
      headers: t.auth,
    });
    expect(builtin.statusCode).toBe(409);
    const unknown = await t.app.inject({ method: 'DELETE', url: '/api/packages/nothing/1.0.0', headers: t.auth });
    expect(unknown.statusCode).toBe(404);
  });
});
