import { beforeAll, describe, expect, test } from 'vitest';
import { TEST_TOKEN } from '../support/runtime.js';
import { makeUser, scopedToken, signIn } from '../teams/support.js';
import { type Auth, SECRET, useTwoWorkspaces } from '../teams/two-workspaces.js';
import { callOnA, documentedOperations, type Operation } from './workspace-walk.js';

// Every route of the OpenAPI document, called on A's objects: a webhook's secret is shown only
// to whoever may change the journey (server/README.md "Secret params are hidden from readers"),
// and a credential's secret, a token's secret or a password hash to nobody, whatever the route
// answers — reads and the answers to changes alike.
const w = useTwoWorkspaces();
let operations: Operation[];
const CREDENTIAL_SECRET = 'an-smtp-password-0123456789';

/** Principals of A without `journeys:write`: each may read or act on the journey, not change it. */
const readers: Record<string, Auth> = {};
/** Principals of A who may do everything but own it, and A's owner. */
const managers: Record<string, Auth> = {};

beforeAll(async () => {
  operations = await documentedOperations(w);
  await w.ok(
    {
      method: 'POST',
      url: '/api/credentials',
      payload: {
        name: 'mail',
        type: 'email.smtp',
        data: { host: 'smtp.example.com', port: 587, user: 'u', password: CREDENTIAL_SECRET },
      },
    },
    w.aAuth,
  );
  await makeUser(w.t.runtime.db, 'viewer@example.com', w.A, 'viewer');
  readers.viewer = (await signIn(w.t.app, 'viewer@example.com')).headers;
  for (const scopes of [['journeys:read'], ['journeys:publish'], ['journeys:read', 'journeys:publish']])
    readers[`a ${scopes.join(' + ')} token`] = await scopedToken(w.t, scopes);
  await makeUser(w.t.runtime.db, 'admin@example.com', w.A, 'admin');
  managers.admin = (await signIn(w.t.app, 'admin@example.com')).headers;
  managers['an admin token'] = await scopedToken(w.t, ['admin']);
  managers.owner = w.aAuth;
}, 60_000);

/** The calls a walk makes: every route but the public ones, the live feed (a socket), sign-out and removals. */
const walked = () =>
  operations.filter(
    (op) =>
      op.path.startsWith('/api/') &&
      op.permission !== 'public' &&
      op.path !== '/api/live' &&
      op.path !== '/api/auth/sign-out' &&
      op.method !== 'DELETE',
  );

async function answersHolding(as: Auth, secrets: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const op of walked()) {
    const call = callOnA(w, op);
    const res = await w.call(call, as);
    for (const secret of secrets.filter((s) => res.body.includes(s)))
      found.push(`${op.method} ${call.url} → ${res.statusCode} holds ${secret}`);
  }
  return found;
}

describe('a principal that may not change A’s journeys', () => {
  for (const name of [
    'viewer',
    'a journeys:read token',
    'a journeys:publish token',
    'a journeys:read + journeys:publish token',
  ])
    test(`${name}: no answer holds the webhook’s secret`, async () => {
      expect(await answersHolding(readers[name] as Auth, [SECRET])).toEqual([]);
    });
});

describe('anyone in A', () => {
  for (const name of ['admin', 'an admin token', 'owner'])
    test(`${name}: no answer holds a credential’s secret, the environment token or a password hash`, async () => {
      expect(await answersHolding(managers[name] as Auth, [CREDENTIAL_SECRET, TEST_TOKEN, '$argon2'])).toEqual([]);
    });
});
