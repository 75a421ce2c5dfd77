import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { defaultWorkspace, fromAddress, makeUser, PASSWORD } from '../teams/support.js';

// teams.md: 10 failed sign-ins for one email within 15 minutes lock it, even for the right
// password. A guesser who sends its guesses all at once, each from another address, must not
// have more than 10 of them checked.

let t: TestApp;
let workspace: string;
beforeAll(async () => {
  t = await createTestApp();
  workspace = await defaultWorkspace(t.runtime.db);
});
afterAll(() => t?.close());

const attempt = (email: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/api/auth/sign-in', payload: { email, password }, ...fromAddress() });

describe('guesses sent all at once', () => {
  test('at most 10 of 60 concurrent wrong passwords are checked; the rest, and then the right one, get 429', async () => {
    await makeUser(t.runtime.db, 'burst@example.com', workspace, 'viewer');
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => attempt('burst@example.com', `wrong password ${i}`)),
    );
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    for (const refused of answers.filter((a) => a.statusCode === 429)) {
      expect(refused.json().error.code).toBe('rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
    const right = await attempt('burst@example.com', PASSWORD);
    expect(right.statusCode).toBe(429);
  });

  test('in any case, an email in upper case or padded is the same email and shares the lock', async () => {
    await makeUser(t.runtime.db, 'cased@example.com', workspace, 'viewer');
    const spellings = ['cased@example.com', 'CASED@example.com', ' Cased@Example.COM ', 'cAsEd@eXample.com'];
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => attempt(spellings[i % spellings.length] as string, `wrong ${i} password`)),
    );
    expect(answers.filter((a) => a.statusCode === 401).length).toBeLessThanOrEqual(10);
    expect((await attempt('CASED@EXAMPLE.COM', PASSWORD)).statusCode).toBe(429);
  });

  test('the right password, sent alone, still signs in after fewer than 10 failures', async () => {
    await makeUser(t.runtime.db, 'fine@example.com', workspace, 'viewer');
    const wrong = await Promise.all(Array.from({ length: 9 }, (_, i) => attempt('fine@example.com', `nope nope ${i}`)));
    expect(wrong.map((a) => a.statusCode)).toEqual(Array(9).fill(401));
    expect((await attempt('fine@example.com', PASSWORD)).statusCode).toBe(200);
  });

  test('successful sign-ins made at once count as no failure', async () => {
    await makeUser(t.runtime.db, 'many@example.com', workspace, 'viewer');
    const answers = await Promise.all(Array.from({ length: 8 }, () => attempt('many@example.com', PASSWORD)));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(8).fill(200));
    const wrong = await Promise.all(Array.from({ length: 9 }, (_, i) => attempt('many@example.com', `nope nope ${i}`)));
    expect(wrong.map((a) => a.statusCode)).toEqual(Array(9).fill(401));
    expect((await attempt('many@example.com', PASSWORD)).statusCode).toBe(200);
  });
});

describe('one address spraying a password over many emails at once', () => {
  test('has at most 20 of its 60 concurrent sign-ins checked; the rest get 429 (API.md "Auth")', async () => {
    const address = { remoteAddress: '10.77.0.1' };
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        t.app.inject({
          method: 'POST',
          url: '/api/auth/sign-in',
          payload: { email: `sprayed${i}@example.com`, password: 'Summer2026-password' },
          ...address,
        }),
      ),
    );
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(20);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    const after = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { email: 'sprayed-late@example.com', password: 'Summer2026-password' },
      ...address,
    });
    expect(after.statusCode).toBe(429);
  });

  test('another address meanwhile signs in', async () => {
    await makeUser(t.runtime.db, 'elsewhere@example.com', workspace, 'viewer');
    expect((await attempt('elsewhere@example.com', PASSWORD)).statusCode).toBe(200);
  });
});

describe('the same spray over real connections', () => {
  test('is held to 20 checks too', async () => {
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const statuses = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        fetch(`${base}/api/auth/sign-in`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: `wired${i}@example.com`, password: 'Summer2026-password' }),
        }).then((res) => res.status),
      ),
    );
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(20);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
  });
});
