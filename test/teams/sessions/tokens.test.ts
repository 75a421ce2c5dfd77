import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type Browser, defaultWorkspace, makeUser, scopedToken, signIn } from '../support.js';

let t: TestApp;
let admin: Browser;
beforeAll(async () => {
  t = await createTestApp();
  await makeUser(t.runtime.db, 'admin@example.com', await defaultWorkspace(t.runtime.db), 'admin');
  admin = await signIn(t.app, 'admin@example.com');
});
afterAll(() => t.close());

const environmentTokenId = async () => {
  const { tokens } = (await t.app.inject({ method: 'GET', url: '/api/tokens', headers: t.auth })).json();
  return tokens.find((x: { name: string }) => x.name === 'WAYMARK_API_TOKEN').id as string;
};

describe('revoking tokens', () => {
  test('an admin cannot revoke the environment token: 403 naming owner, and it still works', async () => {
    const id = await environmentTokenId();
    const res = await t.app.inject({ method: 'DELETE', url: `/api/tokens/${id}`, headers: admin.headers });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: 'forbidden', details: [{ permission: 'owner' }] });
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: t.auth })).statusCode).toBe(200);
  });

  test('an admin revokes a token an admin could make', async () => {
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: admin.headers,
      payload: { name: 'ci', scopes: ['admin'] },
    });
    const res = await t.app.inject({ method: 'DELETE', url: `/api/tokens/${made.json().id}`, headers: admin.headers });
    expect(res.statusCode).toBe(204);
  });
});

describe('making tokens', () => {
  test('a blank name is refused at /name', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/tokens', headers: t.auth, payload: { name: '   ' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: '/name', message: 'body/name must not be blank' }]);
  });
});

describe('what a token is', () => {
  test('a token made without scopes holds admin, in the request’s workspace', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: t.auth,
      payload: { name: 'deploy' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({
      id: expect.any(String),
      name: 'deploy',
      token: expect.any(String),
      scopes: ['admin'],
      workspaceId: await defaultWorkspace(t.runtime.db),
      createdAt: expect.any(String),
    });
  });

  test('a scoped token has no role: me answers role null and the permissions its scopes grant', async () => {
    const headers = await scopedToken(t, ['contacts:read']);
    const me = (await t.app.inject({ method: 'GET', url: '/api/auth/me', headers })).json();
    expect(me).toMatchObject({ principal: { type: 'token', scopes: ['contacts:read'] }, role: null, csrfToken: null });
    expect(me.permissions.sort()).toEqual(['contacts:export', 'contacts:read']);
  });

  test('a scoped token lists its one workspace with role null', async () => {
    const headers = await scopedToken(t, ['journeys:read']);
    const { workspaces } = (await t.app.inject({ method: 'GET', url: '/api/workspaces', headers })).json();
    expect(workspaces).toEqual([
      { id: await defaultWorkspace(t.runtime.db), name: 'Default', role: null, createdAt: expect.any(String) },
    ]);
  });
});
