import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureSetupLink } from '../../../server/teams/accounts/setup.js';
import { type SmtpSink, startSmtpSink } from '../../channels/smtp-sink.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import {
  browserOf,
  changePassword,
  cookiesOf,
  defaultWorkspace,
  fromAddress,
  makeUser,
  PASSWORD,
  signIn,
} from '../support.js';

let t: TestApp;
let smtp: SmtpSink;
let ws: string;
beforeAll(async () => {
  smtp = await startSmtpSink();
  t = await createTestApp({ SMTP_URL: smtp.url, PUBLIC_URL: 'http://waymark.test' });
  ws = await defaultWorkspace(t.runtime.db);
});
afterAll(async () => {
  await t.close();
  await smtp.close();
});

describe('the first owner', () => {
  test('a printed setup link makes the owner once; later codes answer 404', async () => {
    const link = (await ensureSetupLink(t.runtime.db, 'http://waymark.test')) as string;
    expect(link).toMatch(/^http:\/\/waymark\.test\/setup\/[A-Za-z0-9_-]{32,}$/);
    const code = link.split('/').pop() as string;
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/auth/setup',
      payload: { code, email: 'not-an-email', password: PASSWORD },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].path).toBe('/email');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/setup',
      payload: { code, email: '  Owner@Example.COM ', password: PASSWORD, name: 'Olive' },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.user).toMatchObject({ email: 'owner@example.com', name: 'Olive' });
    expect(body.workspaces).toEqual([{ id: ws, name: 'Default', role: 'owner' }]);
    const setCookies = String(res.headers['set-cookie']);
    expect(setCookies).toMatch(/waymark_session=[^;]+;.*HttpOnly/);
    expect(setCookies).toMatch(/SameSite=Lax/);
    expect(cookiesOf(res).waymark_csrf).toBe(body.csrfToken);
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/auth/setup',
      payload: { code, email: 'x@example.com', password: PASSWORD },
    });
    expect(again.statusCode).toBe(404);
    expect(await ensureSetupLink(t.runtime.db, 'http://waymark.test')).toBeNull();
    const hashes = await t.runtime.db.selectFrom('users').select('password_hash').execute();
    expect(hashes[0]?.password_hash).toMatch(/^\$argon2id\$/);
  });
});

describe('sessions', () => {
  test('me, then sign-out ends this session only', async () => {
    await makeUser(t.runtime.db, 'ed@example.com', ws, 'editor');
    const a = await signIn(t.app, 'ed@example.com');
    const b = await signIn(t.app, 'ed@example.com');
    const me = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: a.cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      principal: { type: 'user', email: 'ed@example.com' },
      workspace: { id: ws, name: 'Default' },
      role: 'editor',
      csrfToken: a.csrfToken,
    });
    expect(me.json().permissions).toContain('journeys:publish');
    expect(me.json().permissions).not.toContain('admin');
    const out = await t.app.inject({ method: 'POST', url: '/api/auth/sign-out', headers: a.headers });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/waymark_session=;/);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: a.cookie }, ...fromAddress() }))
        .statusCode,
    ).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: b.cookie } })).statusCode).toBe(
      200,
    );
  });

  test('session fixation: a session cookie sent to sign-in is never reused', async () => {
    await makeUser(t.runtime.db, 'fix@example.com', ws, 'viewer');
    const planted = 'waymark_session=attacker-chosen-value-0123456789';
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      headers: { cookie: planted },
      payload: { email: 'fix@example.com', password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    const fresh = browserOf(res, 'fix@example.com');
    expect(fresh.cookie).not.toContain('attacker-chosen');
    const other = await signIn(t.app, 'fix@example.com');
    expect(other.cookie).not.toBe(fresh.cookie);
    expect(other.csrfToken).not.toBe(fresh.csrfToken);
    const stale = await t.app.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { cookie: planted },
      ...fromAddress(),
    });
    expect(stale.statusCode).toBe(401);
  });

  test('CSRF: a cookie request changing state needs its own X-CSRF-Token; nothing changes without', async () => {
    await makeUser(t.runtime.db, 'csrf@example.com', ws, 'editor');
    const a = await signIn(t.app, 'csrf@example.com');
    const other = await signIn(t.app, 'ed@example.com');
    const count = async () => (await t.runtime.db.selectFrom('journeys').select('id').execute()).length;
    const before = await count();
    for (const headers of [
      { cookie: a.cookie },
      { cookie: a.cookie, 'x-csrf-token': other.csrfToken },
      { cookie: a.cookie, 'x-csrf-token': '' },
    ]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/journeys', headers, payload: { name: 'Forged' } });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('csrf_failed');
    }
    expect(await count()).toBe(before);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: a.headers,
      payload: { name: 'Mine' },
    });
    expect(ok.statusCode).toBe(201);
    // A Bearer header decides: cookies ignored, no CSRF token needed.
    const bearer = await t.app.inject({
      method: 'POST',
      url: '/api/journeys',
      headers: { ...t.auth, cookie: a.cookie },
      payload: { name: 'Script' },
    });
    expect(bearer.statusCode).toBe(201);
  });

  test('a public auth route refuses a foreign Origin', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      headers: { origin: 'https://evil.example' },
      payload: { email: 'ed@example.com', password: PASSWORD },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('csrf_failed');
    const own = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      headers: { origin: 'http://waymark.test' },
      payload: { email: 'ed@example.com', password: PASSWORD },
    });
    expect(own.statusCode).toBe(200);
  });

  test('the live feed never authenticates by cookie', async () => {
    const a = await signIn(t.app, 'ed@example.com');
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/live',
      headers: { cookie: a.cookie },
      ...fromAddress(),
    });
    expect(res.statusCode).toBe(401);
    const ticket = await t.app.inject({ method: 'POST', url: '/api/live/ticket', headers: a.headers });
    expect(ticket.statusCode).toBe(201);
  });
});

describe('brute force', () => {
  test('10 failures lock one email (429 even with the right password); others unaffected; a reset lifts it', async () => {
    await makeUser(t.runtime.db, 'victim@example.com', ws, 'viewer');
    const attempt = (email: string, password: string) =>
      t.app.inject({ method: 'POST', url: '/api/auth/sign-in', payload: { email, password }, ...fromAddress() });
    const unknown = await attempt('nobody@example.com', 'wrong password!');
    const wrong = await attempt('victim@example.com', 'wrong password!');
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().error).toEqual(unknown.json().error);
    for (let i = 0; i < 9; i++) expect((await attempt('victim@example.com', 'wrong password!')).statusCode).toBe(401);
    const locked = await attempt('victim@example.com', PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe('rate_limited');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    expect((await attempt('ed@example.com', PASSWORD)).statusCode).toBe(200);

    const mails = smtp.mails.length;
    const reset = await t.app.inject({
      method: 'POST',
      url: '/api/auth/password-reset',
      payload: { email: 'victim@example.com' },
    });
    expect(reset.statusCode).toBe(202);
    expect(reset.json()).toEqual({});
    const [mail] = (await smtp.waitFor(mails + 1)).slice(mails);
    const token = /\/reset-password\/([A-Za-z0-9_-]+)/.exec(String(mail?.text))?.[1] as string;
    expect(String(mail?.text)).toContain(`http://waymark.test/reset-password/${token}`);
    const confirm = (password: string) =>
      t.app.inject({ method: 'POST', url: '/api/auth/password-reset/confirm', payload: { token, password } });
    expect((await confirm('a brand new password')).statusCode).toBe(204);
    expect((await confirm('another new password')).statusCode).toBe(404);
    expect((await attempt('victim@example.com', 'a brand new password')).statusCode).toBe(200);
    const none = await t.app.inject({
      method: 'POST',
      url: '/api/auth/password-reset',
      payload: { email: 'ghost@example.com' },
    });
    expect(none.statusCode).toBe(202);
  });

  test('a password change ends the other sessions', async () => {
    await makeUser(t.runtime.db, 'pw@example.com', ws, 'viewer');
    const a = await signIn(t.app, 'pw@example.com');
    const b = await signIn(t.app, 'pw@example.com');
    const wrong = await changePassword(t.app, a, 'nope nope nope', 'the next password');
    expect(wrong.statusCode).toBe(401);
    const res = await changePassword(t.app, a, PASSWORD, 'the next password');
    expect(res.statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: a.cookie } })).statusCode).toBe(
      200,
    );
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: b.cookie }, ...fromAddress() }))
        .statusCode,
    ).toBe(401);
    const token = await t.app.inject({
      method: 'POST',
      url: '/api/auth/password',
      headers: t.auth,
      payload: { currentPassword: 'x', newPassword: 'the next password' },
    });
    expect(token.statusCode).toBe(403);
    expect(token.json().error.details[0].permission).toBe('user');
  });
});
