import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually } from '../engine/support.js';
import { burst, hungUpBurst, statusesSent, wire } from '../support/raw-http.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { defaultWorkspace, fromAddress, makeUser, PASSWORD } from '../teams/support.js';

// teams.md: 10 failed sign-ins for one email within 15 minutes lock it, even for the right
// password. A guesser who sends its guesses all at once, each from another address, must not
// have more than 10 of them checked.

let t: TestApp;
let workspace: string;
let base = '';
let sent: (address: string) => number[];
beforeAll(async () => {
  t = await createTestApp({}, { beforeReady: (app) => (sent = statusesSent(app)) });
  workspace = await defaultWorkspace(t.runtime.db);
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
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

// A check that ends by throwing (the email is locked) gives its place back uncounted.
describe('sign-ins refused before their password is checked', () => {
  test('sign-ins refused for a locked email give their places back: a right one from that address then signs in', async () => {
    const from = fromAddress();
    await makeUser(t.runtime.db, 'locked-here@example.com', workspace, 'viewer');
    await makeUser(t.runtime.db, 'free-here@example.com', workspace, 'viewer');
    const signInFrom = (email: string, password: string) =>
      t.app.inject({ method: 'POST', url: '/api/auth/sign-in', payload: { email, password }, ...from });
    for (let i = 0; i < 10; i++)
      expect((await signInFrom('locked-here@example.com', `wrong password ${i}`)).statusCode).toBe(401);
    const refused = await Promise.all(
      Array.from({ length: 30 }, () => signInFrom('locked-here@example.com', PASSWORD)),
    );
    expect(refused.map((a) => a.statusCode)).toEqual(Array(30).fill(429));
    expect((await signInFrom('free-here@example.com', PASSWORD)).statusCode).toBe(200);
  });
});

describe('the same spray over real connections', () => {
  test('is held to 20 checks too', async () => {
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

// A guesser may drop each connection as soon as its guess is sent, while its password is being
// checked: the check still holds its place until its failure is counted, so dropped guesses are
// held to the 20 as well (API.md "Auth").
describe('wrong passwords sent at once by clients that hang up at once', () => {
  const signInWire = (email: string, password: string) =>
    wire('POST', '/api/auth/sign-in', { 'content-type': 'application/json' }, JSON.stringify({ email, password }));
  const spray = (from: string, n: number) =>
    hungUpBurst(
      Number(new URL(base).port),
      from,
      Array.from({ length: n }, (_, i) => signInWire(`hung-${from}-${i}@example.com`, 'Summer2026-password')),
    );
  /** Waits until all `n` guesses from `from` were answered, hung up or not. */
  const allAnswered = (from: string, n: number) => eventually(async () => sent(from).length >= n);
  const rightSignIn = async (from: string, email: string) =>
    (await burst(Number(new URL(base).port), from, [signInWire(email, PASSWORD)]))[0]?.status;

  test('of 60, at most 20 are checked; then the right password from that address answers 429', async () => {
    const from = '127.0.0.31';
    await makeUser(t.runtime.db, 'hung-right@example.com', workspace, 'viewer');
    await spray(from, 60);
    await allAnswered(from, 60);
    expect(sent(from).filter((s) => s === 401).length).toBeLessThanOrEqual(20);
    expect(sent(from).filter((s) => s !== 401 && s !== 429)).toEqual([]);
    // The passwords checked: each left its email a failed attempt.
    const checked = await t.runtime.db
      .selectFrom('sign_in_failures')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('email', 'like', `hung-${from}-%`)
      .executeTakeFirstOrThrow();
    expect(Number(checked.n)).toBeLessThanOrEqual(20);
    expect(await rightSignIn(from, 'hung-right@example.com')).toBe(429);
  });

  test('the right password from another address right after them signs in', async () => {
    await makeUser(t.runtime.db, 'hung-other@example.com', workspace, 'viewer');
    await spray('127.0.0.32', 60);
    expect(await rightSignIn('127.0.0.33', 'hung-other@example.com')).toBe(200);
  });

  test('fewer than 20 of them keep no place: the right password from that address then signs in', async () => {
    const from = '127.0.0.34';
    await makeUser(t.runtime.db, 'hung-few@example.com', workspace, 'viewer');
    await spray(from, 15);
    await allAnswered(from, 15);
    expect(await rightSignIn(from, 'hung-few@example.com')).toBe(200);
  });
});
