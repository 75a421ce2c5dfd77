import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, TEST_TOKEN, type TestApp } from '../support/runtime.js';
import { defaultWorkspace, makeUser, PASSWORD, signIn } from '../teams/support.js';

// API.md "Auth": more than 20 failed authentications a minute from one address → 429
// `rate_limited`, also for a right token. Guesses sent all at once must not all be checked
// before the first failure counts: at most 20 are, the others get the limit's answer.

const LIMIT = 20;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const nodes = (remoteAddress: string, token: string) =>
  t.app.inject({ method: 'GET', url: '/api/nodes', headers: { authorization: `Bearer ${token}` }, remoteAddress });

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe('wrong tokens sent all at once over real connections', () => {
  test('at most 20 of 40 are checked (401); every other one answers 429 rate_limited with Retry-After', async () => {
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${base}/api/nodes`, { headers: { authorization: `Bearer wm_guess-${i}` } }).then(async (res) => ({
          status: res.status,
          code: ((await res.json()) as { error?: { code: string } }).error?.code,
          retryAfter: Number(res.headers.get('retry-after')),
        })),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(count(statuses, 401)).toBeLessThanOrEqual(LIMIT);
    expect(count(statuses, 401) + count(statuses, 429)).toBe(40);
    for (const refused of answers.filter((a) => a.status === 429)) {
      expect(refused.code).toBe('rate_limited');
      expect(refused.retryAfter).toBeGreaterThan(0);
      expect(refused.retryAfter).toBeLessThanOrEqual(60);
    }
    // The limit's answer then holds for a right token too, until the minute is over.
    const right = await fetch(`${base}/api/nodes`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(right.status).toBe(429);
    expect(((await right.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
  });
});

describe('guesses from one address', () => {
  test('that has failed 15 times get 5 more checks when 30 are sent at once', async () => {
    const address = '198.51.100.1';
    for (let i = 0; i < 15; i++) expect((await nodes(address, `wm_first-${i}`)).statusCode).toBe(401);
    const statuses = (await Promise.all(Array.from({ length: 30 }, (_, i) => nodes(address, `wm_then-${i}`)))).map(
      (a) => a.statusCode,
    );
    expect(count(statuses, 401)).toBeLessThanOrEqual(LIMIT - 15);
    expect(count(statuses, 401) + count(statuses, 429)).toBe(30);
  });

  test('do not hold back another address, whose right token answers 200', async () => {
    await Promise.all(Array.from({ length: 40 }, (_, i) => nodes('198.51.100.2', `wm_guess-${i}`)));
    expect((await nodes('198.51.100.3', TEST_TOKEN)).statusCode).toBe(200);
  });
});

describe('right tokens sent all at once', () => {
  test('50 from one address all answer 200: waiting for a place is not a refusal', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, () => nodes('198.51.100.4', TEST_TOKEN)));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(50).fill(200));
  });

  test('mixed with 40 wrong ones, each is answered 200 until the failures reach the limit, then 429', async () => {
    const address = '198.51.100.5';
    const sent = Array.from({ length: 80 }, (_, i) => (i % 2 ? TEST_TOKEN : `wm_guess-${i}`));
    const answers = await Promise.all(sent.map((token) => nodes(address, token)));
    const wrong = answers.filter((_, i) => sent[i] !== TEST_TOKEN).map((a) => a.statusCode);
    const right = answers.filter((_, i) => sent[i] === TEST_TOKEN).map((a) => a.statusCode);
    expect(count(wrong, 401)).toBeLessThanOrEqual(LIMIT);
    expect(count(wrong, 401) + count(wrong, 429)).toBe(40);
    expect(count(right, 200) + count(right, 429)).toBe(40);
    expect((await nodes(address, TEST_TOKEN)).statusCode).toBe(429);
  });
});

describe("a signed-in user's current password guessed at once", () => {
  test('has at most 20 of 40 wrong guesses checked; the rest, and then the right one, answer 429', async () => {
    await makeUser(t.runtime.db, 'guessed@example.com', await defaultWorkspace(t.runtime.db), 'viewer');
    const browser = await signIn(t.app, 'guessed@example.com');
    const change = (currentPassword: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/password',
        headers: browser.headers,
        payload: { currentPassword, newPassword: 'a whole new password' },
        remoteAddress: '198.51.100.6',
      });
    const statuses = (await Promise.all(Array.from({ length: 40 }, (_, i) => change(`not it ${i}`)))).map(
      (a) => a.statusCode,
    );
    expect(count(statuses, 401)).toBeLessThanOrEqual(LIMIT);
    expect(count(statuses, 401) + count(statuses, 429)).toBe(40);
    expect((await change(PASSWORD)).statusCode).toBe(429);
  });
});
