import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type Browser, defaultWorkspace, makeUser, signIn } from '../support.js';

let t: TestApp;
let owner: Browser;
let ws: string;
beforeAll(async () => {
  t = await createTestApp();
  ws = await defaultWorkspace(t.runtime.db);
  await makeUser(t.runtime.db, 'owner@example.com', ws, 'owner');
  owner = await signIn(t.app, 'owner@example.com');
});
afterAll(() => t.close());

const blank = { path: '/name', message: 'body/name must not be blank' };

describe('a workspace name', () => {
  test('that is blank is refused when a workspace is made', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/workspaces',
      headers: owner.headers,
      payload: { name: '  ' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [blank] });
  });

  test('that is blank is refused on rename, and the name stays', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/workspaces/${ws}`,
      headers: owner.headers,
      payload: { name: ' ' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([blank]);
    const now = await t.app.inject({ method: 'GET', url: `/api/workspaces/${ws}`, headers: owner.headers });
    expect(now.json().name).toBe('Default');
  });

  test('a rename shows at once to a token of the workspace, which read its name before', async () => {
    const me = () => t.app.inject({ method: 'GET', url: '/api/auth/me', headers: t.auth });
    expect((await me()).json().workspace).toEqual({ id: ws, name: 'Default' });
    const renamed = await t.app.inject({
      method: 'PATCH',
      url: `/api/workspaces/${ws}`,
      headers: owner.headers,
      payload: { name: 'Acme marketing' },
    });
    expect(renamed.statusCode).toBe(200);
    expect((await me()).json().workspace).toEqual({ id: ws, name: 'Acme marketing' });
  });
});
