import { beforeAll, describe, expect, test } from 'vitest';
import { ROLE_TABLE } from '../teams/route-table.js';
import { makeUser, scopedToken, signIn } from '../teams/support.js';
import { type Auth, type Call, useTwoWorkspaces } from '../teams/two-workspaces.js';
import { callOnA, documentedOperations, moreOfA, mutates, type Operation, snapshotOfA } from './workspace-walk.js';

// contracts/teams.md "Roles, permissions and scopes": each state-changing route of the OpenAPI
// document, called on A's real objects by a member or token of A that lacks its permission,
// answers 403 `forbidden` naming the permission, and A stays as it was.
const w = useTwoWorkspaces();
let operations: Operation[];
let before: Record<string, string>;

/** What each principal of A may do: roles from teams.md's table, scopes as it grants them. */
const principals: Record<string, { granted: string[]; user: boolean; auth?: Auth }> = {
  viewer: { granted: ROLE_TABLE.viewer as string[], user: true },
  author: { granted: ROLE_TABLE.author as string[], user: true },
  editor: { granted: ROLE_TABLE.editor as string[], user: true },
  admin: { granted: ROLE_TABLE.admin as string[], user: true },
  'a read-only token (journeys:read, contacts:read)': {
    granted: ['journeys:read', 'contacts:read', 'contacts:export'],
    user: false,
  },
  'a journeys:write token': { granted: ['journeys:write'], user: false },
  'a journeys:publish token': { granted: ['journeys:publish'], user: false },
  'a contacts:write token': { granted: ['contacts:write'], user: false },
  'an events:write token': { granted: ['events:write'], user: false },
  'an admin token': { granted: ROLE_TABLE.admin as string[], user: false },
};
const scopesOf: Record<string, string[]> = {
  'a read-only token (journeys:read, contacts:read)': ['journeys:read', 'contacts:read'],
  'a journeys:write token': ['journeys:write'],
  'a journeys:publish token': ['journeys:publish'],
  'a contacts:write token': ['contacts:write'],
  'an events:write token': ['events:write'],
  'an admin token': ['admin'],
};

beforeAll(async () => {
  operations = await documentedOperations(w);
  for (const [name, p] of Object.entries(principals)) {
    if (p.user) {
      await makeUser(w.t.runtime.db, `${name}@example.com`, w.A, name as never);
      p.auth = (await signIn(w.t.app, `${name}@example.com`)).headers;
    } else {
      p.auth = await scopedToken(w.t, scopesOf[name] as string[]);
    }
  }
  await moreOfA(w);
  before = await snapshotOfA(w, operations);
}, 60_000);

function expectForbidden(
  res: { statusCode: number; body: string; json(): unknown },
  permission: string,
  where: string,
) {
  expect(res.statusCode, where).toBe(403);
  const error = (res.json() as { error: { code: string; details: { permission: string }[] } }).error;
  expect(error.code, where).toBe('forbidden');
  expect(error.details[0]?.permission, where).toBe(permission);
}

describe('a principal of A without a route’s permission changes nothing of A', () => {
  for (const [name, p] of Object.entries(principals)) {
    test(`${name}: 403 forbidden on every state-changing route it is not granted`, async () => {
      const refused = operations.filter(
        (op) =>
          mutates(op) &&
          op.path.startsWith('/api/') &&
          !['public', 'authenticated'].includes(op.permission) &&
          (op.permission === 'user' ? p.user === false : !p.granted.includes(op.permission)),
      );
      for (const op of refused) {
        const call = callOnA(w, op);
        const res = await w.call(call, p.auth as Auth);
        expectForbidden(
          res,
          op.permission,
          `${name}: ${op.method} ${call.url} → ${res.statusCode} ${res.body.slice(0, 200)}`,
        );
      }
    });
  }

  test('an admin may not grant, take away or invite as owner, nor rename the workspace', async () => {
    const admin = principals.admin?.auth as Auth;
    const calls: Call[] = [
      { method: 'PATCH', url: `/api/workspaces/${w.A}`, payload: { name: 'renamed' } },
      { method: 'PATCH', url: `/api/workspaces/${w.A}/members/${w.a.userId}`, payload: { role: 'viewer' } },
      { method: 'DELETE', url: `/api/workspaces/${w.A}/members/${w.a.userId}` },
      {
        method: 'POST',
        url: `/api/workspaces/${w.A}/invitations`,
        payload: { email: 'boss@example.com', role: 'owner' },
      },
    ];
    for (const call of calls) {
      const res = await w.call(call, admin);
      expectForbidden(res, 'owner', `${call.method} ${call.url} → ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
  });
});

test('after every refusal A is as A left it', async () => {
  expect(await snapshotOfA(w, operations)).toEqual(before);
});
