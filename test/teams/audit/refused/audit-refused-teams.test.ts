import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../../support/runtime.js';
import { defaultWorkspace, makeUser, PASSWORD, signIn } from '../../support.js';
import { caller, entriesOf, expectRefused, whileAuditRefused } from '../audit-refusal.js';

// teams.md "Audit log": every successful change is appended in the same transaction as the
// change. A change whose entry cannot be written is therefore not made at all.

let t: TestApp;
let ws: string;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'http://waymark.test' });
  ws = await defaultWorkspace(t.runtime.db);
});
afterAll(() => t.close());

const call = (...args: Parameters<ReturnType<typeof caller>>) => caller(t)(...args);

const roleOf = async (userId: string) =>
  (
    (await call('GET', `/api/workspaces/${ws}/members`)).json() as { members: { userId: string; role: string }[] }
  ).members.find((m) => m.userId === userId)?.role ?? null;

const pending = async () =>
  ((await call('GET', `/api/workspaces/${ws}/invitations`)).json() as { invitations: { id: string; email: string }[] })
    .invitations;

describe('members whose change cannot be recorded', () => {
  test('a role change answers 500 and the member keeps their role', async () => {
    const userId = await makeUser(t.runtime.db, 'kept-role@example.com', ws, 'viewer');
    const res = await whileAuditRefused(t, () =>
      call('PATCH', `/api/workspaces/${ws}/members/${userId}`, { role: 'editor' }),
    );
    expectRefused(res);
    expect(await roleOf(userId)).toBe('viewer');
    expect(await entriesOf(t, userId)).toEqual([]);
  });

  test('a removal answers 500 and the member stays', async () => {
    const userId = await makeUser(t.runtime.db, 'stays@example.com', ws, 'author');
    const res = await whileAuditRefused(t, () => call('DELETE', `/api/workspaces/${ws}/members/${userId}`));
    expectRefused(res);
    expect(await roleOf(userId)).toBe('author');
  });
});

describe('invitations whose change cannot be recorded', () => {
  test('an invitation answers 500 and none is pending', async () => {
    const res = await whileAuditRefused(t, () =>
      call('POST', `/api/workspaces/${ws}/invitations`, { email: 'not-invited@example.com', role: 'editor' }),
    );
    expectRefused(res);
    expect((await pending()).map((i) => i.email)).not.toContain('not-invited@example.com');
  });

  test('a revocation answers 500 and the invitation stays pending', async () => {
    const made = await call('POST', `/api/workspaces/${ws}/invitations`, {
      email: 'still-invited@example.com',
      role: 'viewer',
    });
    const { id } = made.json() as { id: string };
    expectRefused(await whileAuditRefused(t, () => call('DELETE', `/api/workspaces/${ws}/invitations/${id}`)));
    expect((await pending()).map((i) => i.id)).toContain(id);
  });

  test('accepting answers 500, no one joins, and the link still works', async () => {
    const made = await call('POST', `/api/workspaces/${ws}/invitations`, {
      email: 'joiner@example.com',
      role: 'viewer',
    });
    const token = /\/invite\/([A-Za-z0-9_-]+)/.exec(made.json().link as string)?.[1] as string;
    const accept = () =>
      t.app.inject({ method: 'POST', url: `/api/invitations/${token}/accept`, payload: { password: PASSWORD } });
    expectRefused(await whileAuditRefused(t, accept));
    const members = (await call('GET', `/api/workspaces/${ws}/members`)).json().members as { email: string }[];
    expect(members.map((m) => m.email)).not.toContain('joiner@example.com');
    expect((await accept()).statusCode).toBe(200);
  });
});

describe('tokens whose change cannot be recorded', () => {
  const names = async () =>
    ((await call('GET', '/api/tokens')).json() as { tokens: { id: string; name: string }[] }).tokens;

  test('making one answers 500 and no token is made', async () => {
    expectRefused(await whileAuditRefused(t, () => call('POST', '/api/tokens', { name: 'never-made' })));
    expect((await names()).map((x) => x.name)).not.toContain('never-made');
  });

  test('revoking one answers 500 and the token still works', async () => {
    const { id, token } = (await call('POST', '/api/tokens', { name: 'still-works' })).json() as {
      id: string;
      token: string;
    };
    expectRefused(await whileAuditRefused(t, () => call('DELETE', `/api/tokens/${id}`)));
    const me = await t.app.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.statusCode).toBe(200);
  });
});

describe('workspaces whose change cannot be recorded', () => {
  test('a rename answers 500 and the name stays', async () => {
    expectRefused(await whileAuditRefused(t, () => call('PATCH', `/api/workspaces/${ws}`, { name: 'Renamed' })));
    expect((await call('GET', `/api/workspaces/${ws}`)).json().name).toBe('Default');
  });

  test('making one answers 500 and its maker is in no new workspace', async () => {
    await makeUser(t.runtime.db, 'maker@example.com', ws, 'viewer');
    const maker = await signIn(t.app, 'maker@example.com');
    const res = await whileAuditRefused(t, () => call('POST', '/api/workspaces', { name: 'Never' }, maker.headers));
    expectRefused(res);
    const { workspaces } = (await call('GET', '/api/workspaces', undefined, maker.headers)).json() as {
      workspaces: { name: string }[];
    };
    expect(workspaces.map((w) => w.name)).not.toContain('Never');
  });
});
