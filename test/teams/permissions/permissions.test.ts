import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { ROLE_TABLE, ROUTES } from '../route-table.js';
import { type Browser, defaultWorkspace, makeUser, signIn } from '../support.js';

let t: TestApp;
let ws: string;
const browsers: Record<string, Browser> = {};
beforeAll(async () => {
  t = await createTestApp();
  ws = await defaultWorkspace(t.runtime.db);
  for (const role of Object.keys(ROLE_TABLE)) {
    await makeUser(t.runtime.db, `${role}@example.com`, ws, role as never);
    browsers[role] = await signIn(t.app, `${role}@example.com`);
  }
  await makeUser(t.runtime.db, 'loner@example.com', null);
  browsers.loner = await signIn(t.app, 'loner@example.com');
});
afterAll(() => t.close());

const toUrl = (path: string) =>
  path
    .replace('{id}', path.startsWith('/api/workspaces/') ? ws : randomUUID())
    .replace(/\{(userId|invitationId)\}/, randomUUID())
    .replace(/\{\w+\}/g, 'x1');
// Sign-out would end the walker's session; the live feed never takes a cookie (tested in sessions).
const walked = ROUTES.filter(([m, p, perm]) => perm !== 'public' && !(m === 'POST' && p === '/api/auth/sign-out'));
const walkedByUsers = walked.filter(([, p]) => p !== '/api/live');

describe('the permission table', () => {
  test('names every /api route, and the OpenAPI document shows the same permissions', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const inDocument = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      path.startsWith('/api/') ? Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`) : [],
    );
    expect(new Set(inDocument)).toEqual(new Set(ROUTES.map(([m, p]) => `${m} ${p}`)));
    for (const [method, path, permission] of ROUTES) {
      const op = doc.paths[path]?.[method.toLowerCase()];
      expect(op?.['x-waymark-permission'], `${method} ${path}`).toBe(permission);
      if (permission !== 'public') expect(op.responses['403'], `${method} ${path} lists 403`).toBeDefined();
    }
    expect(doc['x-waymark-roles']).toEqual(ROLE_TABLE);
    expect(Object.keys(doc['x-waymark-scopes']).sort()).toEqual([
      'admin',
      'contacts:read',
      'contacts:write',
      'events:write',
      'journeys:publish',
      'journeys:read',
      'journeys:write',
    ]);
    expect(doc['x-waymark-scopes']['contacts:read']).toEqual(['contacts:read', 'contacts:export']);
  });

  for (const role of [...Object.keys(ROLE_TABLE), 'loner']) {
    test(`every route answers a signed-in ${role} as the table says`, async () => {
      const granted = ROLE_TABLE[role] ?? [];
      for (const [method, path, permission] of walkedByUsers) {
        const url = toUrl(path);
        const res = await t.app.inject({
          method: method as 'GET',
          url,
          headers: browsers[role]?.headers,
          ...(['POST', 'PUT', 'PATCH'].includes(method) ? { payload: {} } : {}),
        });
        const where = `${role}: ${method} ${url} → ${res.statusCode} ${res.body.slice(0, 200)}`;
        expect(res.statusCode, where).not.toBe(401);
        const open = permission === 'authenticated' || permission === 'user';
        if (role === 'loner' && !open) {
          expect(res.statusCode, where).toBe(404);
        } else if (open || granted.includes(permission)) {
          expect(res.statusCode, where).not.toBe(403);
        } else {
          expect(res.statusCode, where).toBe(403);
          expect(res.json().error.code, where).toBe('forbidden');
          expect(res.json().error.details[0].permission, where).toBe(permission);
        }
      }
    });
  }
});

describe('HEAD requests', () => {
  const reads = walkedByUsers.filter(([method]) => method === 'GET');
  for (const role of ['viewer', 'author', 'admin']) {
    test(`a HEAD answers a signed-in ${role} as its GET does: refused exactly where the GET is`, async () => {
      for (const [, path, permission] of reads) {
        const url = toUrl(path);
        const headers = browsers[role]?.headers;
        const head = await t.app.inject({ method: 'HEAD', url, headers });
        const allowed = ['authenticated', 'user'].includes(permission) || ROLE_TABLE[role]?.includes(permission);
        const where = `${role}: HEAD ${url} → ${head.statusCode}`;
        if (allowed) expect(head.statusCode, where).not.toBe(403);
        else expect(head.statusCode, where).toBe(403);
      }
    });
  }
});

describe('scoped tokens', () => {
  const scopes: Record<string, string[]> = {
    'journeys:read': ['journeys:read'],
    'journeys:write': ['journeys:write'],
    'journeys:publish': ['journeys:publish'],
    'contacts:read': ['contacts:read', 'contacts:export'],
    'contacts:write': ['contacts:write'],
    'events:write': ['events:write'],
    admin: ROLE_TABLE.admin as string[],
  };
  for (const [scope, granted] of Object.entries(scopes)) {
    test(`a token with ${scope} may use exactly what it grants`, async () => {
      const made = await t.app.inject({
        method: 'POST',
        url: '/api/tokens',
        headers: t.auth,
        payload: { name: scope, scopes: [scope] },
      });
      expect(made.statusCode).toBe(201);
      expect(made.json()).toMatchObject({ scopes: [scope], workspaceId: ws });
      const headers = { authorization: `Bearer ${made.json().token}` };
      for (const [method, path, permission] of walkedByUsers) {
        const url = toUrl(path);
        const res = await t.app.inject({
          method: method as 'GET',
          url,
          headers,
          ...(method === 'GET' || method === 'DELETE' ? {} : { payload: {} }),
        });
        const where = `${scope}: ${method} ${url} → ${res.statusCode} ${res.body.slice(0, 200)}`;
        if (permission === 'user') expect(res.statusCode, where).toBe(403);
        else if (permission === 'authenticated' || granted.includes(permission))
          expect(res.statusCode, where).not.toBe(403);
        else {
          expect(res.statusCode, where).toBe(403);
          expect(res.json().error.details[0].permission, where).toBe(permission);
        }
      }
    });
  }

  test('an unknown scope or owner is refused; the listing shows scopes and workspace', async () => {
    for (const scopes of [['owner'], ['contacts:everything']]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/tokens',
        headers: t.auth,
        payload: { name: 'x', scopes },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
    }
    const list = (await t.app.inject({ method: 'GET', url: '/api/tokens', headers: t.auth })).json().tokens;
    expect(list.find((x: { name: string }) => x.name === 'WAYMARK_API_TOKEN')).toMatchObject({
      scopes: ['owner'],
      workspaceId: ws,
      createdBy: null,
    });
    const me = (await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: t.auth })).json();
    expect(me).toMatchObject({
      principal: { type: 'token', name: 'WAYMARK_API_TOKEN', scopes: ['owner'] },
      role: 'owner',
      csrfToken: null,
    });
  });
});

describe('a token for another workspace', () => {
  // ed: editor here (his earliest workspace, the request's), owner of his own "W3".
  let w3: string;
  let ed: Browser;
  beforeAll(async () => {
    await makeUser(t.runtime.db, 'ed-tokens@example.com', ws, 'editor');
    ed = await signIn(t.app, 'ed-tokens@example.com');
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/workspaces',
      headers: ed.headers,
      payload: { name: 'W3' },
    });
    w3 = made.json().id;
  });
  const mint = (headers: Record<string, string>, workspaceId: string) =>
    t.app.inject({ method: 'POST', url: '/api/tokens', headers, payload: { name: 'for-w3', workspaceId } });
  const joinW3 = async (email: string, role: 'admin' | 'viewer') => {
    const userId = await makeUser(t.runtime.db, email, ws, role === 'admin' ? 'admin' : 'editor');
    await t.runtime.db.insertInto('memberships').values({ workspace_id: w3, user_id: userId, role }).execute();
    return signIn(t.app, email);
  };

  test('needs admin in that workspace, not in the request’s', async () => {
    const res = await mint(ed.headers, w3);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().workspaceId).toBe(w3);
    const me = await t.app.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { authorization: `Bearer ${res.json().token}` },
    });
    expect(me.json().workspace.id).toBe(w3);
  });

  test('is recorded in that workspace’s audit log', async () => {
    const id = (await mint(ed.headers, w3)).json().id;
    const there = await t.app.inject({
      method: 'GET',
      url: `/api/audit?object=${id}`,
      headers: { ...ed.headers, 'x-waymark-workspace': w3 },
    });
    expect(there.json().entries.map((e: { action: string }) => e.action)).toEqual(['token.created']);
  });

  test('an admin here who is a viewer there is refused 403', async () => {
    const ada = await joinW3('ada-tokens@example.com', 'viewer');
    const res = await mint(ada.headers, w3);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.details[0].permission).toBe('admin');
  });

  test('a member there without admin is refused 403', async () => {
    const vic = await joinW3('vic-tokens@example.com', 'viewer');
    const res = await mint(vic.headers, w3);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('forbidden');
  });

  test('a workspace the user is no member of answers 404, even to an admin here', async () => {
    const res = await mint(browsers.admin?.headers ?? {}, w3);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });
});
