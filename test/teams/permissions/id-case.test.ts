import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { defaultWorkspace, makeUser, signIn } from '../support.js';

// server/README.md: "A UUID is the same id in upper case": a workspace or user id is the
// same whoever asks, a token or a user, and whichever check reads it.

let t: TestApp;
let workspace: string;
beforeAll(async () => {
  t = await createTestApp();
  workspace = await defaultWorkspace(t.runtime.db);
});
afterAll(() => t.close());

describe('a user id in upper case', () => {
  test('a member removes themselves with their own id in upper case (teams.md: any member may)', async () => {
    const userId = await makeUser(t.runtime.db, 'leaving@example.com', workspace, 'viewer');
    const me = await signIn(t.app, 'leaving@example.com');
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/api/workspaces/${workspace}/members/${userId.toUpperCase()}`,
      headers: me.headers,
    });
    expect(res.statusCode).toBe(204);
    const left = await t.runtime.db
      .selectFrom('memberships')
      .select('user_id')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    expect(left).toBeUndefined();
  });
});

describe('a workspace id in upper case', () => {
  test("is a token's own workspace, in the path", async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/workspaces/${workspace.toUpperCase()}`,
      headers: t.auth,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(workspace);
  });

  test("is a token's own workspace, in X-Waymark-Workspace", async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/journeys',
      headers: { ...t.auth, 'x-waymark-workspace': workspace.toUpperCase() },
    });
    expect(res.statusCode).toBe(200);
  });

  test("is a user's own workspace, in the path and in X-Waymark-Workspace", async () => {
    await makeUser(t.runtime.db, 'staying@example.com', workspace, 'viewer');
    const me = await signIn(t.app, 'staying@example.com');
    const inPath = await t.app.inject({
      method: 'GET',
      url: `/api/workspaces/${workspace.toUpperCase()}`,
      headers: me.headers,
    });
    expect(inPath.statusCode).toBe(200);
    const inHeader = await t.app.inject({
      method: 'GET',
      url: '/api/journeys',
      headers: { ...me.headers, 'x-waymark-workspace': workspace.toUpperCase() },
    });
    expect(inHeader.statusCode).toBe(200);
  });
});
