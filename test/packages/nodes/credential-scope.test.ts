import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually } from '../../engine/support.js';
import { kill, startWaymark, type WaymarkProcess } from '../../operations/support/processes.js';
import { createTestApp, TEST_TOKEN, type TestApp } from '../../support/runtime.js';
import { installTarball } from '../journeys.js';
import { pack, writePackage } from '../support.js';

// An installed package's node reads through ctx.credentials only its own package's credential
// types (SDK.md "nodes never see other credentials"; packages.md "Isolation and reach").
let t: TestApp;
const servers: WaymarkProcess[] = [];

const keyOf = (prefix: string) => `[{ type: '${prefix}.key', title: 'Key', schema: { type: 'object' } }]`;
const rule = "which its package does not define: a node may read only its own package's credential types";

beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(async () => {
  for (const server of servers) await kill(server);
  await t?.close();
});

const get = (url: string) => t.app.inject({ method: 'GET', url, headers: t.auth });

describe('a node listing credential types its package does not define', () => {
  test("another package's and a built-in one are refused at install: 422, one detail each at its place", async () => {
    const node = "credentials: ['thief.key', 'acme.api-key', 'email.smtp'],";
    const spec = { name: 'thief-nodes', prefix: 'thief', version: '1.0.0', node, credentials: keyOf('thief') };
    const res = await installTarball(t, await pack(writePackage(spec)));
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error.code).toBe('invalid_package');
    expect(res.json().error.details).toEqual([
      { path: '/nodes/0/credentials/1', message: `thief.shout@1 lists the credential type "acme.api-key", ${rule}` },
      { path: '/nodes/0/credentials/2', message: `thief.shout@1 lists the credential type "email.smtp", ${rule}` },
    ]);
    const listed = (await get('/api/packages')).json().packages.map((p: { name: string }) => p.name);
    expect(listed).not.toContain('thief-nodes');
  }, 30_000);

  test("its own package's credential types install", async () => {
    const node = "credentials: ['vault.key'],";
    const spec = { name: 'vault-nodes', prefix: 'vault', version: '1.0.0', node, credentials: keyOf('vault') };
    const res = await installTarball(t, await pack(writePackage(spec)));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ credentials: ['vault.key'], nodes: ['vault.shout@1'] });
  }, 30_000);

  test('a stored version that lists one does not load in a process that loads it later: its load error says why', async () => {
    // Lists email.smtp only where another process loads it, as a version stored before the check would.
    const node = `credentials: process.ppid === ${process.pid} ? [] : ['email.smtp'],`;
    const res = await installTarball(
      t,
      await pack(writePackage({ name: 'later-nodes', prefix: 'later', version: '1.0.0', node })),
    );
    expect(res.statusCode, res.body).toBe(201);
    const env = { WAYMARK_SECRET_KEY: 'test-secret-key-0123456789', WAYMARK_API_TOKEN: TEST_TOKEN };
    const server = await startWaymark('server', t.database.url, env);
    servers.push(server);
    const loadErrors = async () =>
      (await get('/api/packages/later-nodes/1.0.0')).json().loadErrors as { message: string }[];
    await eventually(async () => (await loadErrors()).length === 1, 10_000);
    expect((await loadErrors())[0]?.message).toBe(`later.shout@1 lists the credential type "email.smtp", ${rule}`);
  }, 120_000);
});
