import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../../channels/smtp-sink.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { type Browser, defaultWorkspace, fromAddress, makeUser, signIn } from '../support.js';

// teams.md: "A session ends 7 days after its last use, 30 days after sign-in, at sign-out, and
// at a password change or reset (every session of that user)"; a reset link is "valid 1 h, once".
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

/** GET /api/auth/me as the browser, with what its browser says of where the request came from. */
const me = (browser: Browser, site?: string) =>
  t.app.inject({
    method: 'GET',
    url: '/api/auth/me',
    headers: { cookie: browser.cookie, ...(site ? { 'sec-fetch-site': site } : {}) },
    ...fromAddress(),
  });

/** Moves the user's sessions back in time, as if signed in and last used that long ago. */
async function age(userId: string, signedIn: string, lastUsed: string) {
  await sql`update sessions set created_at = now() - ${signedIn}::interval, last_used_at = now() - ${lastUsed}::interval
    where user_id = ${userId}`.execute(t.runtime.db);
}

/** Asks for a reset link for the email and answers the token the mail holds. */
async function resetToken(email: string): Promise<string> {
  const before = smtp.mails.length;
  const asked = await t.app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email } });
  expect(asked.statusCode).toBe(202);
  const [mail] = (await smtp.waitFor(before + 1)).slice(before);
  return /\/reset-password\/([A-Za-z0-9_-]+)/.exec(String(mail?.text))?.[1] as string;
}

const confirm = (token: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/api/auth/password-reset/confirm', payload: { token, password } });

describe('how long a session lives', () => {
  test('a session unused for 7 days is refused with 401', async () => {
    await makeUser(t.runtime.db, 'idle@example.com', ws, 'viewer');
    const browser = await signIn(t.app, 'idle@example.com');
    await age(browser.userId, '8 days', '7 days 1 minute');
    const res = await me(browser);
    expect([res.statusCode, res.json().error.code]).toEqual([401, 'unauthorized']);
  });

  test('a session used within the last 7 days goes on', async () => {
    await makeUser(t.runtime.db, 'busy@example.com', ws, 'viewer');
    const browser = await signIn(t.app, 'busy@example.com');
    await age(browser.userId, '20 days', '6 days');
    expect((await me(browser)).statusCode).toBe(200);
  });

  test('a session ends 30 days after sign-in however recently it was used', async () => {
    await makeUser(t.runtime.db, 'daily@example.com', ws, 'viewer');
    const browser = await signIn(t.app, 'daily@example.com');
    await age(browser.userId, '30 days 1 minute', '1 hour');
    expect((await me(browser)).statusCode).toBe(401);
  });
});

describe('what counts as a use of a session (its 7 idle days start again)', () => {
  /** The session's last use, as the sessions table holds it. */
  const lastUsed = async (userId: string) =>
    String(
      (
        await sql<{ at: string }>`select last_used_at::text as at from sessions where user_id = ${userId}`.execute(
          t.runtime.db,
        )
      ).rows[0]?.at,
    );

  /** A signed-in user whose session was last used an hour ago. */
  async function idleHour(email: string): Promise<Browser> {
    await makeUser(t.runtime.db, email, ws, 'viewer');
    const browser = await signIn(t.app, email);
    await age(browser.userId, '1 hour', '1 hour');
    return browser;
  }

  test('a request another site made (403 forbidden) leaves its last use as it was', async () => {
    const browser = await idleHour('elsewhere@example.com');
    const before = await lastUsed(browser.userId);
    const res = await me(browser, 'cross-site');
    expect([res.statusCode, res.json().error.code]).toEqual([403, 'forbidden']);
    expect(await lastUsed(browser.userId)).toBe(before);
  });

  test('a state-changing request without its X-CSRF-Token (403 csrf_failed) leaves its last use as it was', async () => {
    const browser = await idleHour('no-csrf@example.com');
    const before = await lastUsed(browser.userId);
    const headers = { cookie: browser.cookie };
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/sign-out', headers, ...fromAddress() });
    expect([res.statusCode, res.json().error.code]).toEqual([403, 'csrf_failed']);
    expect(await lastUsed(browser.userId)).toBe(before);
  });

  test('a request Waymark itself made marks it used now', async () => {
    const browser = await idleHour('at-home@example.com');
    const before = await lastUsed(browser.userId);
    expect((await me(browser, 'same-origin')).statusCode).toBe(200);
    const after = await lastUsed(browser.userId);
    expect(after).not.toBe(before);
    expect(new Date(after).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('password-reset links', () => {
  test('a reset ends every session of the user', async () => {
    await makeUser(t.runtime.db, 'reset-all@example.com', ws, 'viewer');
    const one = await signIn(t.app, 'reset-all@example.com');
    const two = await signIn(t.app, 'reset-all@example.com');
    expect((await confirm(await resetToken('reset-all@example.com'), 'a password after reset')).statusCode).toBe(204);
    expect((await me(one)).statusCode).toBe(401);
    expect((await me(two)).statusCode).toBe(401);
    expect((await signIn(t.app, 'reset-all@example.com', 'a password after reset')).userId).toBe(one.userId);
  });

  test('a link older than an hour answers 404 not_found and the password stays', async () => {
    await makeUser(t.runtime.db, 'reset-late@example.com', ws, 'viewer');
    const token = await resetToken('reset-late@example.com');
    await sql`update password_resets set expires_at = now() - interval '1 second'
      where user_id = (select id from users where email = 'reset-late@example.com')`.execute(t.runtime.db);
    const res = await confirm(token, 'too late a password');
    expect([res.statusCode, res.json().error.code]).toEqual([404, 'not_found']);
    expect((await signIn(t.app, 'reset-late@example.com')).email).toBe('reset-late@example.com');
  });
});
