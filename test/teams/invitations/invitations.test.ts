import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../../channels/smtp-sink.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { defaultWorkspace, fromAddress, makeUser, PASSWORD, signIn } from '../support.js';

let t: TestApp;
let smtp: SmtpSink;
let ws: string;
beforeAll(async () => {
  smtp = await startSmtpSink();
  t = await createTestApp({
    SMTP_URL: smtp.url,
    PUBLIC_URL: 'http://waymark.test',
    WAYMARK_MAIL_FROM: 'Team <team@waymark.test>',
  });
  ws = await defaultWorkspace(t.runtime.db);
});
afterAll(async () => {
  await t.close();
  await smtp.close();
});

async function inviteByMail(email: string, role: string, headers: Record<string, string> = t.auth) {
  const before = smtp.mails.length;
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/workspaces/${ws}/invitations`,
    headers,
    payload: { email, role },
  });
  expect(res.statusCode, res.body).toBe(201);
  const mail = (await smtp.waitFor(before + 1))[before];
  const token = /\/invite\/([A-Za-z0-9_-]{32,})/.exec(String(mail?.text))?.[1] as string;
  expect(String(mail?.html)).toContain(`http://waymark.test/invite/${token}`);
  expect(mail?.from?.text).toContain('team@waymark.test');
  return { invitation: res.json(), token };
}

describe('invitations', () => {
  test('the environment token invites an owner by mail; the link makes the user', async () => {
    const { invitation, token } = await inviteByMail('Boss@Example.com', 'owner');
    expect(invitation).toMatchObject({
      email: 'boss@example.com',
      role: 'owner',
      workspaceId: ws,
      invitedBy: { type: 'token', name: 'WAYMARK_API_TOKEN' },
    });
    expect(invitation.link).toBeUndefined();
    const seen = await t.app.inject({ method: 'GET', url: `/api/invitations/${token}` });
    expect(seen.json()).toMatchObject({
      email: 'boss@example.com',
      role: 'owner',
      workspace: { id: ws, name: 'Default' },
      existingUser: false,
    });
    const accepted = await t.app.inject({
      method: 'POST',
      url: `/api/invitations/${token}/accept`,
      payload: { password: PASSWORD, name: 'Boss' },
    });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().workspaces).toEqual([{ id: ws, name: 'Default', role: 'owner' }]);
    const again = await t.app.inject({
      method: 'POST',
      url: `/api/invitations/${token}/accept`,
      payload: { password: PASSWORD },
    });
    expect(again.statusCode).toBe(404);
  });

  test('a new invitation replaces the pending one; revoked links and members are refused', async () => {
    const first = await inviteByMail('new@example.com', 'viewer');
    const second = await inviteByMail('new@example.com', 'author');
    expect((await t.app.inject({ method: 'GET', url: `/api/invitations/${first.token}` })).statusCode).toBe(404);
    const pending = (
      await t.app.inject({ method: 'GET', url: `/api/workspaces/${ws}/invitations`, headers: t.auth })
    ).json().invitations;
    expect(pending.map((i: { email: string }) => i.email)).toEqual(['new@example.com']);
    expect(pending[0].link).toBeUndefined();
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/api/workspaces/${ws}/invitations/${second.invitation.id}`,
      headers: t.auth,
    });
    expect(revoked.statusCode).toBe(204);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/invitations/${second.token}/accept`,
          payload: { password: PASSWORD },
        })
      ).statusCode,
    ).toBe(404);
    const member = await t.app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/invitations`,
      headers: t.auth,
      payload: { email: 'boss@example.com', role: 'viewer' },
    });
    expect(member.statusCode).toBe(409);
  });

  test('of two concurrent accepts one succeeds; an existing user must give their own password', async () => {
    const { token } = await inviteByMail('race@example.com', 'editor');
    const answers = await Promise.all(
      [1, 2].map(() =>
        t.app.inject({ method: 'POST', url: `/api/invitations/${token}/accept`, payload: { password: PASSWORD } }),
      ),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 404]);
    const other = await t.app.inject({
      method: 'POST',
      url: '/api/workspaces',
      headers: (await signIn(t.app, 'boss@example.com')).headers,
      payload: { name: 'Second' },
    });
    expect(other.statusCode).toBe(201);
    const boss = await signIn(t.app, 'boss@example.com');
    const inv = await t.app.inject({
      method: 'POST',
      url: `/api/workspaces/${other.json().id}/invitations`,
      headers: boss.headers,
      payload: { email: 'race@example.com', role: 'viewer' },
    });
    const link = /\/invite\/(.+)$/.exec(((await smtp.waitFor(smtp.mails.length)).at(-1)?.text ?? '').trim())?.[1];
    expect(inv.statusCode).toBe(201);
    const wrong = await t.app.inject({
      method: 'POST',
      url: `/api/invitations/${link}/accept`,
      payload: { password: 'not the password' },
      ...fromAddress(),
    });
    expect(wrong.statusCode).toBe(401);
    const right = await t.app.inject({
      method: 'POST',
      url: `/api/invitations/${link}/accept`,
      payload: { password: PASSWORD },
    });
    expect(right.statusCode).toBe(200);
    expect(right.json().workspaces.map((w: { role: string }) => w.role)).toEqual(['editor', 'viewer']);
  });

  test('accepting as one who joined meanwhile answers 409 and keeps their role', async () => {
    const { token } = await inviteByMail('founder@example.com', 'viewer');
    // Joined otherwise while the invitation waited (as the setup link makes an owner).
    await makeUser(t.runtime.db, 'founder@example.com', ws, 'admin');
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/invitations/${token}/accept`,
      payload: { password: PASSWORD },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('conflict');
    const founder = await signIn(t.app, 'founder@example.com');
    const me = (await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: founder.headers })).json();
    expect(me.role).toBe('admin');
  });

  test('without SMTP_URL the answer carries the link', async () => {
    const plain = await createTestApp({}, { database: t.database });
    const res = await plain.app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/invitations`,
      headers: plain.auth,
      payload: { email: 'nomail@example.com', role: 'viewer' },
    });
    expect(res.json().link).toMatch(/\/invite\/[A-Za-z0-9_-]{32,}$/);
    await plain.app.close();
    await plain.runtime.close();
  });
});

describe('members', () => {
  test('an admin cannot grant owner; the last owner cannot go; anyone may leave', async () => {
    const adminId = await makeUser(t.runtime.db, 'adm@example.com', ws, 'admin');
    const viewerId = await makeUser(t.runtime.db, 'leaver@example.com', ws, 'viewer');
    const admin = await signIn(t.app, 'adm@example.com');
    const grant = await t.app.inject({
      method: 'PATCH',
      url: `/api/workspaces/${ws}/members/${viewerId}`,
      headers: admin.headers,
      payload: { role: 'owner' },
    });
    expect(grant.statusCode).toBe(403);
    expect(grant.json().error.details[0].permission).toBe('owner');
    const promote = await t.app.inject({
      method: 'PATCH',
      url: `/api/workspaces/${ws}/members/${viewerId}`,
      headers: admin.headers,
      payload: { role: 'author' },
    });
    expect(promote.json()).toMatchObject({ userId: viewerId, role: 'author' });
    const bossId = (
      await t.runtime.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', 'boss@example.com')
        .executeTakeFirstOrThrow()
    ).id;
    const demote = await t.app.inject({
      method: 'PATCH',
      url: `/api/workspaces/${ws}/members/${bossId}`,
      headers: t.auth,
      payload: { role: 'admin' },
    });
    expect(demote.statusCode).toBe(409);
    const leaver = await signIn(t.app, 'leaver@example.com');
    const leave = await t.app.inject({
      method: 'DELETE',
      url: `/api/workspaces/${ws}/members/${viewerId}`,
      headers: leaver.headers,
    });
    expect(leave.statusCode).toBe(204);
    const after = await t.app.inject({ method: 'GET', url: '/api/journeys', headers: { cookie: leaver.cookie } });
    expect(after.statusCode).toBe(404);
    const gone = await t.app.inject({
      method: 'DELETE',
      url: `/api/workspaces/${ws}/members/${adminId}`,
      headers: t.auth,
    });
    expect(gone.statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/api/tokens', headers: admin.headers })).statusCode).toBe(404);
  });

  test('a member or invitation id that is not a UUID answers 400 naming it', async () => {
    const calls = [
      { method: 'PATCH', url: `/api/workspaces/${ws}/members/nope`, payload: { role: 'author' }, field: 'userId' },
      { method: 'DELETE', url: `/api/workspaces/${ws}/members/nope`, field: 'userId' },
      { method: 'DELETE', url: `/api/workspaces/${ws}/invitations/nope`, field: 'invitationId' },
    ] as const;
    for (const { field, ...call } of calls) {
      const res = await t.app.inject({ ...call, headers: t.auth });
      expect(res.statusCode, `${call.method} ${call.url}`).toBe(400);
      expect(res.json().error.details).toEqual([
        { path: `/${field}`, message: `params/${field} must match format "uuid"` },
      ]);
    }
  });
});

describe('across workspaces', () => {
  test('a header or path naming a workspace one does not belong to answers 404, as an unknown one', async () => {
    await makeUser(t.runtime.db, 'outsider@example.com', null);
    const outsider = await signIn(t.app, 'outsider@example.com');
    const own = await t.app.inject({
      method: 'POST',
      url: '/api/workspaces',
      headers: outsider.headers,
      payload: { name: 'Elsewhere' },
    });
    const theirs = own.json().id as string;
    for (const url of [`/api/workspaces/${ws}`, `/api/workspaces/${ws}/members`, `/api/workspaces/${ws}/invitations`]) {
      expect((await t.app.inject({ method: 'GET', url, headers: outsider.headers })).statusCode, url).toBe(404);
    }
    const viaHeader = await t.app.inject({
      method: 'GET',
      url: '/api/journeys',
      headers: { ...outsider.headers, 'x-waymark-workspace': ws },
    });
    expect(viaHeader.statusCode).toBe(404);
    const tokenElsewhere = await t.app.inject({
      method: 'GET',
      url: '/api/journeys',
      headers: { ...t.auth, 'x-waymark-workspace': theirs },
    });
    expect(tokenElsewhere.statusCode).toBe(404);
    const mintThere = await t.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: t.auth,
      payload: { name: 'x', workspaceId: theirs },
    });
    expect(mintThere.statusCode).toBe(404);
    const theirToken = await t.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: outsider.headers,
      payload: { name: 'mine' },
    });
    expect(theirToken.json().workspaceId).toBe(theirs);
    const ours = (await t.app.inject({ method: 'GET', url: '/api/tokens', headers: t.auth })).json().tokens;
    expect(ours.map((x: { id: string }) => x.id)).not.toContain(theirToken.json().id);
    const revokeAcross = await t.app.inject({
      method: 'DELETE',
      url: `/api/tokens/${theirToken.json().id}`,
      headers: t.auth,
    });
    expect(revokeAcross.statusCode).toBe(404);
    // Each workspace holds its own journeys: ours is not theirs, by session or by their token.
    const ourJourney = (
      await t.app.inject({ method: 'POST', url: '/api/journeys', headers: t.auth, payload: { name: 'Ours' } })
    ).json().id;
    const theirBearer = { authorization: `Bearer ${theirToken.json().token}` };
    for (const headers of [outsider.headers, theirBearer]) {
      const list = await t.app.inject({ method: 'GET', url: '/api/journeys', headers });
      expect(list.statusCode).toBe(200);
      expect(list.json().journeys.map((j: { id: string }) => j.id)).not.toContain(ourJourney);
      const one = await t.app.inject({ method: 'GET', url: `/api/journeys/${ourJourney}`, headers });
      expect(one.statusCode).toBe(404);
    }
    const audit = (await t.app.inject({ method: 'GET', url: '/api/audit', headers: outsider.headers })).json().entries;
    expect(audit.map((e: { action: string }) => e.action)).toEqual(['token.created', 'workspace.created']);
  });
});
