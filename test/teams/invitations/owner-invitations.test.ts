import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type Browser, defaultWorkspace, makeUser, signIn } from '../support.js';

// teams.md: the `owner` permission covers "inviting as, granting or taking away owner". A
// pending invitation as owner is taken away by replacing it (same email) or revoking it.

let t: TestApp;
let ws: string;
let admin: Browser;
beforeAll(async () => {
  // Without SMTP_URL the invitation answer carries its link.
  t = await createTestApp({ PUBLIC_URL: 'http://waymark.test' });
  ws = await defaultWorkspace(t.runtime.db);
  await makeUser(t.runtime.db, 'second-in-command@example.com', ws, 'admin');
  admin = await signIn(t.app, 'second-in-command@example.com');
});
afterAll(() => t.close());

async function invite(email: string, role: string, headers: Record<string, string>) {
  return t.app.inject({ method: 'POST', url: `/api/workspaces/${ws}/invitations`, headers, payload: { email, role } });
}

const tokenOf = (link: string) => link.split('/invite/')[1] as string;
const linkWorks = async (link: string) =>
  (await t.app.inject({ method: 'GET', url: `/api/invitations/${tokenOf(link)}` })).statusCode === 200;

describe("an owner's invitation, by an admin", () => {
  test('replacing it with another role answers 403 naming owner, and its link keeps working', async () => {
    const ownerInvite = await invite('heir@example.com', 'owner', t.auth);
    expect(ownerInvite.statusCode).toBe(201);
    const replaced = await invite('heir@example.com', 'viewer', admin.headers);
    expect(replaced.statusCode).toBe(403);
    expect(replaced.json().error.details[0].permission).toBe('owner');
    expect(await linkWorks(ownerInvite.json().link)).toBe(true);
  });

  test('revoking it answers 403 naming owner, and its link keeps working', async () => {
    const ownerInvite = await invite('successor@example.com', 'owner', t.auth);
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/api/workspaces/${ws}/invitations/${ownerInvite.json().id}`,
      headers: admin.headers,
    });
    expect(revoked.statusCode).toBe(403);
    expect(revoked.json().error.details[0].permission).toBe('owner');
    expect(await linkWorks(ownerInvite.json().link)).toBe(true);
  });
});

describe('what stays allowed', () => {
  test('an owner replaces or revokes an invitation as owner', async () => {
    const first = await invite('co-founder@example.com', 'owner', t.auth);
    const second = await invite('co-founder@example.com', 'admin', t.auth);
    expect(second.statusCode).toBe(201);
    expect(await linkWorks(first.json().link)).toBe(false);
    const third = await invite('partner@example.com', 'owner', t.auth);
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/api/workspaces/${ws}/invitations/${third.json().id}`,
      headers: t.auth,
    });
    expect(revoked.statusCode).toBe(204);
    expect(await linkWorks(third.json().link)).toBe(false);
  });

  test('an admin replaces and revokes invitations of other roles', async () => {
    const first = await invite('helper@example.com', 'editor', admin.headers);
    const second = await invite('helper@example.com', 'viewer', admin.headers);
    expect(second.statusCode).toBe(201);
    expect(await linkWorks(first.json().link)).toBe(false);
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/api/workspaces/${ws}/invitations/${second.json().id}`,
      headers: admin.headers,
    });
    expect(revoked.statusCode).toBe(204);
    expect(await linkWorks(second.json().link)).toBe(false);
  });
});
