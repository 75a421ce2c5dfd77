import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../../channels/smtp-sink.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type Browser, defaultWorkspace, fromAddress, makeUser, ownWorkspace, PASSWORD, signIn } from '../support.js';

// Without SMTP_URL an invitation's answer carries its link (teams.md), so the inviter holds it,
// and any user may make a workspace of their own and invite any email. What the link tells
// must not say whether that email has an account in workspaces the inviter has no part in.
let t: TestApp;
let ws: string;
let prober: Browser;
let own: string;
beforeAll(async () => {
  t = await createTestApp(); // no SMTP_URL
  ws = await defaultWorkspace(t.runtime.db);
  await makeUser(t.runtime.db, 'victim@example.com', ws, 'editor');
  await makeUser(t.runtime.db, 'prober@example.com', null);
  prober = await signIn(t.app, 'prober@example.com');
  own = await ownWorkspace(t.app, prober, 'Probe');
});
afterAll(() => t.close());

async function inviteAndOpen(workspace: string, headers: Record<string, string>, email: string) {
  const made = await t.app.inject({
    method: 'POST',
    url: `/api/workspaces/${workspace}/invitations`,
    headers,
    payload: { email, role: 'viewer' },
  });
  expect(made.statusCode, made.body).toBe(201);
  const token = made.json().link.split('/invite/')[1] as string;
  const opened = await t.app.inject({ method: 'GET', url: `/api/invitations/${token}` });
  expect(opened.statusCode).toBe(200);
  return { made: made.json(), opened: opened.json(), token };
}

describe('an invitation link shown to its inviter (no SMTP_URL)', () => {
  test('does not tell a stranger to the account whether the email has one', async () => {
    const known = await inviteAndOpen(own, prober.headers, 'victim@example.com');
    const unknown = await inviteAndOpen(own, prober.headers, 'nobody@example.com');
    expect(known.opened.existingUser).toBe(false);
    expect(unknown.opened.existingUser).toBe(false);
    expect(Object.keys(known.made).sort()).toEqual(Object.keys(unknown.made).sort());
    expect(Object.keys(known.opened).sort()).toEqual(Object.keys(unknown.opened).sort());
  });

  test('the invited existing user still joins with their own password, and only with it', async () => {
    const { token } = await inviteAndOpen(own, prober.headers, 'victim@example.com');
    const accept = (password: string) =>
      t.app.inject({
        method: 'POST',
        url: `/api/invitations/${token}/accept`,
        payload: { password },
        ...fromAddress(),
      });
    expect((await accept('not the password at all')).statusCode).toBe(401);
    const joined = await accept(PASSWORD);
    expect(joined.statusCode, joined.body).toBe(200);
    expect(joined.json().user.email).toBe('victim@example.com');
  });

  /** What a link tells when a member of the default workspace with `role` invites another member of it elsewhere. */
  async function toldToA(role: 'admin' | 'viewer') {
    await makeUser(t.runtime.db, `${role}-inviter@example.com`, ws, role);
    await makeUser(t.runtime.db, `${role}-colleague@example.com`, ws, 'viewer');
    const inviter = await signIn(t.app, `${role}-inviter@example.com`);
    const elsewhere = await ownWorkspace(t.app, inviter, `Of an ${role}`);
    return (await inviteAndOpen(elsewhere, inviter.headers, `${role}-colleague@example.com`)).opened.existingUser;
  }

  test('tells an inviter who administers a workspace of that account', async () => {
    expect(await toldToA('admin')).toBe(true);
  });

  test('does not tell a viewer sharing a workspace with the account (a viewer lists no members)', async () => {
    expect(await toldToA('viewer')).toBe(false);
  });
});

describe('a mailed invitation link', () => {
  test('tells its holder, the mailbox owner, that the email has an account', async () => {
    const smtp: SmtpSink = await startSmtpSink();
    const mailing = await createTestApp({ SMTP_URL: smtp.url }, { database: t.database });
    try {
      const made = await mailing.app.inject({
        method: 'POST',
        url: `/api/workspaces/${own}/invitations`,
        headers: prober.headers,
        payload: { email: 'mailed@example.com', role: 'viewer' },
      });
      expect(made.statusCode, made.body).toBe(201);
      expect(made.json().link).toBeUndefined();
      await makeUser(t.runtime.db, 'mailed@example.com', ws, 'viewer');
      const mail = (await smtp.waitFor(1))[0];
      const token = /\/invite\/([A-Za-z0-9_-]{32,})/.exec(String(mail?.text))?.[1];
      const opened = await mailing.app.inject({ method: 'GET', url: `/api/invitations/${token}` });
      expect(opened.json().existingUser).toBe(true);
    } finally {
      await mailing.app.close();
      await mailing.runtime.close();
      await smtp.close();
    }
  });
});
