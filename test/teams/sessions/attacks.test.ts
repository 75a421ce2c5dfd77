import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../../server/app.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { defaultWorkspace, makeUser, PASSWORD, signIn } from '../support.js';

let t: TestApp;
let ws: string;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://waymark.example' });
  ws = await defaultWorkspace(t.runtime.db);
  await makeUser(t.runtime.db, 'a@example.com', ws, 'owner');
  await makeUser(t.runtime.db, 'b@example.com', ws, 'viewer');
});
afterAll(() => t.close());

describe('attacks on sessions', () => {
  test('cookies are Secure under an https PUBLIC_URL; the CSRF cookie is readable by script', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { email: 'a@example.com', password: PASSWORD },
      remoteAddress: '10.8.0.1',
    });
    const session = res.cookies.find((c) => c.name === 'waymark_session');
    const csrf = res.cookies.find((c) => c.name === 'waymark_csrf');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect(csrf?.httpOnly).toBeFalsy();
    expect(csrf?.value).toBe(res.json().csrfToken);
    const stored = await t.runtime.db.selectFrom('sessions').select('token_hash').execute();
    expect(stored.map((r) => r.token_hash)).not.toContain(session?.value);
  });

  test('a signed-out session is refused by another process too', async () => {
    const other = await buildApp(t.runtime, { serveEditor: false });
    await other.ready();
    const a = await signIn(t.app, 'a@example.com');
    expect((await other.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: a.cookie } })).statusCode).toBe(
      200,
    );
    await t.app.inject({ method: 'POST', url: '/api/auth/sign-out', headers: a.headers });
    const after = await other.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { cookie: a.cookie },
      remoteAddress: '10.8.0.2',
    });
    expect(after.statusCode).toBe(401);
    await other.close();
  });

  test('one CSRF token does not serve another user; a wrong one changes nothing', async () => {
    const a = await signIn(t.app, 'a@example.com');
    const b = await signIn(t.app, 'b@example.com');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: { cookie: a.cookie, 'x-csrf-token': b.csrfToken },
      payload: { name: 'forged' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('csrf_failed');
    const tokens = await t.runtime.db.selectFrom('api_tokens').select('name').execute();
    expect(tokens.map((x) => x.name)).not.toContain('forged');
  });

  test('failed sign-ins count towards the per-address limit, for any email', async () => {
    const from = { remoteAddress: '10.7.7.7' };
    for (let i = 0; i < 20; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/auth/sign-in',
        payload: { email: `guess${i}@example.com`, password: 'wrong password' },
        ...from,
      });
      expect(res.statusCode).toBe(401);
    }
    const blocked = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { email: 'a@example.com', password: PASSWORD },
      ...from,
    });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });

  test('a workspace header of another workspace, or garbage, answers 404', async () => {
    const a = await signIn(t.app, 'a@example.com');
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/journeys',
        headers: { cookie: a.cookie, 'x-waymark-workspace': id },
      });
      expect(res.statusCode).toBe(404);
    }
    const own = await t.app.inject({
      method: 'GET',
      url: '/api/journeys',
      headers: { cookie: a.cookie, 'x-waymark-workspace': ws },
    });
    expect(own.statusCode).toBe(200);
  });

  test('pages behind links are sent without a referrer', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/setup/some-code' });
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });
});
