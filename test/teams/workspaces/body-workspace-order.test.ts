import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type Browser, defaultWorkspace, makeUser, makeWorkspace, scopedToken, signIn } from '../support.js';

// teams.md "Roles, permissions and scopes": 401, then 404 for the workspace, then 403, before
// anything about the body. POST /api/tokens names its workspace in the body ("a workspace where
// the principal is no member → 404, a member without admin there → 403"): a principal without
// admin in any workspace it could name is refused 403 even when its body cannot be read.

let t: TestApp;
let reader: Record<string, string>;
let other: string;
let viewer: Browser;
let adminElsewhere: Browser;
beforeAll(async () => {
  t = await createTestApp();
  const ws = await defaultWorkspace(t.runtime.db);
  reader = await scopedToken(t, ['journeys:read']);
  for (const email of ['viewer@example.com', 'founder@example.com']) await makeUser(t.runtime.db, email, ws, 'viewer');
  viewer = await signIn(t.app, 'viewer@example.com');
  adminElsewhere = await signIn(t.app, 'founder@example.com');
  other = await makeWorkspace(t.app, adminElsewhere, 'Elsewhere');
});
afterAll(() => t.close());

const mint = (headers: Record<string, string>, body: string, type = 'application/json') =>
  t.app.inject({ method: 'POST', url: '/api/tokens', headers: { ...headers, 'content-type': type }, payload: body });

function expectForbidden(res: Awaited<ReturnType<typeof mint>>) {
  expect(res.statusCode, res.body).toBe(403);
  expect(res.json().error).toMatchObject({ code: 'forbidden', details: [{ permission: 'admin' }] });
}

describe('making a token without admin anywhere', () => {
  test('a token sending a body that is not JSON is 403, not 400', async () => {
    expectForbidden(await mint(reader, '{bad'));
  });

  test('a token sending a body of a type not taken is 403, not 415', async () => {
    expectForbidden(await mint(reader, 'name=x', 'text/plain'));
  });

  test('a token sending a body that fails the schema is 403, not 400', async () => {
    expectForbidden(await mint(reader, '{"name":""}'));
  });

  test('a token sending a body over the limit is 403, not 413', async () => {
    expectForbidden(await mint(reader, JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) })));
  });

  test('a token naming another workspace is 404: it is no member there', async () => {
    const res = await mint(reader, JSON.stringify({ name: 'x', workspaceId: other }));
    expect(res.statusCode, res.body).toBe(404);
  });

  test('a viewer sending a body that is not JSON is 403, not 400', async () => {
    expectForbidden(await mint(viewer.headers, '{bad'));
  });
});

test('a token with admin sending a body that is not JSON is 400 invalid_json', async () => {
  const res = await mint(await scopedToken(t, ['admin']), '{bad');
  expect(res.statusCode).toBe(400);
  expect(res.json().error.code).toBe('invalid_json');
});

describe('making a token with admin in another workspace than the request’s', () => {
  test('a body that is not JSON is 400: it might have named that workspace', async () => {
    const res = await mint(adminElsewhere.headers, '{bad');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_json');
  });

  test('a body naming that workspace makes the token there', async () => {
    const res = await mint(adminElsewhere.headers, JSON.stringify({ name: 'x', workspaceId: other }));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().workspaceId).toBe(other);
  });

  test('a body naming none is judged in the request’s workspace: 403', async () => {
    expectForbidden(await mint(adminElsewhere.headers, '{"name":"x"}'));
  });
});
