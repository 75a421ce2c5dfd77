import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../server/app.js';
import { ensureAdminToken } from '../../server/auth/tokens.js';
import { createTestApp, TEST_TOKEN, type TestApp } from '../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

// Each probe comes from its own address, so the failed-authentication limit (tested on its
// own) does not turn these refusals into 429s.
let probes = 0;
const strangerAt = () => ({ remoteAddress: `10.${(probes >> 16) & 255}.${(probes >> 8) & 255}.${probes++ & 255}` });

const count = async (table: 'journeys' | 'api_tokens') =>
  Number(
    (
      await t.runtime.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** Every spelling of an /api path that a router might decode, normalise or match loosely. */
const SPELLINGS = [
  '/%61pi/journeys',
  '/%61%70%69/journeys',
  '/api/%6aourneys',
  '//api/journeys',
  '/api//journeys',
  '/./api/journeys',
  '/api/./journeys',
  '/x/../api/journeys',
  '/api/journeys/',
  '/api%2Fjourneys',
  '/API/journeys',
  '/api/journeys;x',
  '/api/journeys%00',
  '/api/journeys?token=whatever',
];

describe('an outsider without a token', () => {
  test.each(SPELLINGS)('GET %s reaches no /api handler', async (url) => {
    const res = await t.app.inject({ method: 'GET', url, ...strangerAt() });
    expect([401, 404]).toContain(res.statusCode);
    expect(res.json().error.code).toMatch(/^(unauthorized|not_found)$/);
  });

  test.each(SPELLINGS)('POST %s creates no journey', async (url) => {
    const res = await t.app.inject({ method: 'POST', url, payload: { name: 'Owned' }, ...strangerAt() });
    expect([401, 404]).toContain(res.statusCode);
    expect(await count('journeys')).toBe(0);
  });

  test('cannot reach any route of the OpenAPI document, under its own or an encoded spelling', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    const reached: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        if (Array.isArray(operation.security) && operation.security.length === 0) continue;
        const concrete = path.replace(/\{[^}]+\}/g, randomUUID());
        for (const url of [concrete, concrete.replace('/api/', '/%61pi/')]) {
          const res = await t.app.inject({ method: method.toUpperCase() as 'GET', url, payload: {}, ...strangerAt() });
          if (res.statusCode !== 401 && res.statusCode !== 404) reached.push(`${method} ${url} → ${res.statusCode}`);
        }
      }
    }
    expect(reached).toEqual([]);
  });

  test('gets the JSON 404, not the editor page, for a spelling of /api that matches no route', async () => {
    const withEditor = await buildApp(t.runtime, { serveEditor: true });
    try {
      for (const url of ['//api/nodes', '/api%2Fnodes', '/%61pi%2Fnodes', '/API/nodes']) {
        const res = await withEditor.inject({ method: 'GET', url, ...strangerAt() });
        expect([401, 404]).toContain(res.statusCode);
        expect(res.headers['content-type']).toMatch(/application\/json/);
      }
    } finally {
      await withEditor.close();
    }
  });

  test('still reads the OpenAPI document and health, which are public', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  test('cannot pass a token in the query string to an ordinary route', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/api/journeys?token=${TEST_TOKEN}`, ...strangerAt() });
    expect(res.statusCode).toBe(401);
  });
});

describe('API tokens', () => {
  test('a made token works, is listed without its secret, and shows when it was last used', async () => {
    const made = await t.app.inject({ method: 'POST', url: '/api/tokens', headers: t.auth, payload: { name: 'CI' } });
    expect(made.statusCode).toBe(201);
    const { id, token, name } = made.json();
    expect(name).toBe('CI');
    const used = await t.app.inject({
      method: 'GET',
      url: '/api/journeys',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(used.statusCode).toBe(200);
    const list = (await t.app.inject({ method: 'GET', url: '/api/tokens', headers: t.auth })).json();
    const listed = list.tokens.find((x: { id: string }) => x.id === id);
    expect(listed).toMatchObject({ id, name: 'CI', lastUsedAt: expect.any(String) });
    expect(JSON.stringify(list)).not.toContain(token);
  });

  test('a revoked token is refused at once by every process', async () => {
    const other = await buildApp(t.runtime, { serveEditor: false });
    try {
      const { id, token } = (
        await t.app.inject({ method: 'POST', url: '/api/tokens', headers: t.auth, payload: { name: 'leaked' } })
      ).json();
      const bearer = { authorization: `Bearer ${token}` };
      expect((await other.inject({ method: 'GET', url: '/api/nodes', headers: bearer })).statusCode).toBe(200);
      const revoked = await t.app.inject({ method: 'DELETE', url: `/api/tokens/${id}`, headers: t.auth });
      expect(revoked.statusCode).toBe(204);
      expect((await t.app.inject({ method: 'GET', url: '/api/nodes', headers: bearer })).statusCode).toBe(401);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await other.inject({ method: 'GET', url: '/api/nodes', headers: bearer })).statusCode).toBe(401);
    } finally {
      await other.close();
    }
  });

  test('a token may revoke itself', async () => {
    const { id, token } = (
      await t.app.inject({ method: 'POST', url: '/api/tokens', headers: t.auth, payload: { name: 'self' } })
    ).json();
    const bearer = { authorization: `Bearer ${token}` };
    expect((await t.app.inject({ method: 'DELETE', url: `/api/tokens/${id}`, headers: bearer })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/api/nodes', headers: bearer })).statusCode).toBe(401);
  });

  test('revoking an unknown token answers 404', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: `/api/tokens/${randomUUID()}`, headers: t.auth });
    expect(res.statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/tokens/not-a-uuid', headers: t.auth })).statusCode).toBe(
      400,
    );
  });

  test('a token needs a name', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/tokens', headers: t.auth, payload: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe('/name');
  });

  test('a changed WAYMARK_API_TOKEN retires the previous one', async () => {
    const first = 'first-env-token-0123456789';
    const second = 'second-env-token-0123456789';
    const made = (
      await t.app.inject({ method: 'POST', url: '/api/tokens', headers: t.auth, payload: { name: 'script' } })
    ).json();
    await ensureAdminToken(t.runtime.db, first);
    const before = await count('api_tokens');
    await ensureAdminToken(t.runtime.db, second);
    const as = (token: string) =>
      t.app.inject({ method: 'GET', url: '/api/nodes', headers: { authorization: `Bearer ${token}` } });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await as(first)).statusCode).toBe(401);
    expect((await as(second)).statusCode).toBe(200);
    expect(await count('api_tokens')).toBe(before);
    // Tokens made through the API are not the environment's and stay.
    expect((await as(made.token)).statusCode).toBe(200);
    await ensureAdminToken(t.runtime.db, TEST_TOKEN);
    expect((await as(TEST_TOKEN)).statusCode).toBe(200);
  });
});
