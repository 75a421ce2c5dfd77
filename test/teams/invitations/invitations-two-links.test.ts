import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { defaultWorkspace, fromAddress, makeUser, PASSWORD, signIn } from '../support.js';

// teams.md: "For a new email `password` sets the password; for an existing user it must be theirs
// (else 401, a failed sign-in). Unknown, used, revoked or expired tokens → 404."
let t: TestApp;
let ws: string;
let other: string;
beforeAll(async () => {
  t = await createTestApp(); // no SMTP_URL: each invitation answer carries its link
  ws = await defaultWorkspace(t.runtime.db);
  await makeUser(t.runtime.db, 'boss@example.com', null);
  const boss = await signIn(t.app, 'boss@example.com');
  const made = await t.app.inject({
    method: 'POST',
    url: '/api/workspaces',
    headers: boss.headers,
    payload: { name: 'Other' },
  });
  other = made.json().id;
});
afterAll(() => t.close());

/** Links of one new email to both workspaces: the default's by the environment token, the other's by its owner. */
async function linksFor(email: string): Promise<string[]> {
  const boss = await signIn(t.app, 'boss@example.com');
  const links: string[] = [];
  for (const [workspace, headers] of [
    [ws, t.auth],
    [other, boss.headers],
  ] as const) {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/workspaces/${workspace}/invitations`,
      headers,
      payload: { email, role: 'editor' },
    });
    expect(res.statusCode, res.body).toBe(201);
    links.push(res.json().link.split('/invite/')[1]);
  }
  return links;
}

const accept = (token: string, password: string) =>
  t.app.inject({ method: 'POST', url: `/api/invitations/${token}/accept`, payload: { password }, ...fromAddress() });

describe('a new email invited to two workspaces, both links accepted at once', () => {
  test('with one password, both succeed: the person is a member of both', async () => {
    const links = await linksFor('twice@example.com');
    const answers = await Promise.all(links.map((token) => accept(token, PASSWORD)));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200]);
    const me = await signIn(t.app, 'twice@example.com');
    const list = await t.app.inject({ method: 'GET', url: '/api/workspaces', headers: me.headers });
    expect(
      list
        .json()
        .workspaces.map((w: { id: string }) => w.id)
        .sort(),
    ).toEqual([ws, other].sort());
  });

  test('with two passwords, the later is an existing user’s wrong password: 401, and its link still works', async () => {
    const links = await linksFor('two-passwords@example.com');
    const passwords = [PASSWORD, 'another password'];
    const answers = await Promise.all(links.map((token, i) => accept(token, passwords[i] as string)));
    const codes = answers.map((a) => a.statusCode);
    expect(codes.sort()).toEqual([200, 401]);
    const refused = answers.find((a) => a.statusCode === 401);
    expect(refused?.json().error.code).toBe('unauthorized');
    const left = links[answers.findIndex((a) => a.statusCode === 401)] as string;
    // Either accept may commit first: the account has the password of the one that did.
    const kept = passwords[answers.findIndex((a) => a.statusCode === 200)] as string;
    const open = await t.app.inject({ method: 'GET', url: `/api/invitations/${left}` });
    expect(open.statusCode).toBe(200);
    // Its inviter, who was shown the link, has no part in the account's workspace: not told
    // that the account exists (invitation-enumeration.test.ts); the accept asks for it all the same.
    expect(open.json().existingUser).toBe(false);
    expect((await accept(left, kept)).statusCode).toBe(200);
  });
});

// API.md "Auth": past 20 failed authentications a minute from one address, 429 even for a right
// credential; an invitation's accept is refused so too, a new user's (who gives no password to check).
describe('an accept from an address past 20 failed authentications', () => {
  test('answers 429 rate_limited with Retry-After, and its link still works from elsewhere', async () => {
    const [link] = await linksFor('late-comer@example.com');
    const from = fromAddress();
    for (let i = 0; i < 20; i++) {
      const payload = { email: `nobody-${i}@example.com`, password: 'a wrong password' };
      expect((await t.app.inject({ method: 'POST', url: '/api/auth/sign-in', payload, ...from })).statusCode).toBe(401);
    }
    const url = `/api/invitations/${link}/accept`;
    const refused = await t.app.inject({ method: 'POST', url, payload: { password: PASSWORD }, ...from });
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await accept(link as string, PASSWORD)).statusCode).toBe(200);
  });
});
