import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';

// A password hash (argon2id, 19 MiB and two passes) is the dearest thing a request can ask of
// the server. The public routes that take a new password do so only for a caller holding a
// valid link or code: a guess with a made-up one is refused before any hashing, so guesses
// cannot tie up the hashing threads (and their memory) of the people signing in.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const GUESSES = 80;
const PASSWORD = 'a-long-enough-password';

/** The CPU time (ms) the process spends answering `count` concurrent guesses, and their answers. */
async function cost(request: () => Promise<{ statusCode: number }>, count = GUESSES) {
  const before = process.cpuUsage();
  const answers = await Promise.all(Array.from({ length: count }, request));
  const used = process.cpuUsage(before);
  return { ms: (used.user + used.system) / 1000, statuses: [...new Set(answers.map((a) => a.statusCode))] };
}

describe('a guessed link or code', () => {
  test('password-reset/confirm with an unknown token answers 404 without hashing the password', async () => {
    const baseline = await cost(() =>
      t.app.inject({ method: 'GET', url: '/api/invitations/an-unknown-invitation-token-of-forty-some-chars' }),
    );
    const guessed = await cost(() =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/password-reset/confirm',
        payload: { token: 'an-unknown-reset-token-of-forty-some-characters', password: PASSWORD },
      }),
    );
    expect(guessed.statuses).toEqual([404]);
    expect(guessed.ms).toBeLessThan(baseline.ms * 2 + 300);
  });

  test('setup with an unknown code answers 404 without hashing the password', async () => {
    const baseline = await cost(() =>
      t.app.inject({ method: 'GET', url: '/api/invitations/an-unknown-invitation-token-of-forty-some-chars' }),
    );
    const guessed = await cost(() =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/setup',
        payload: { code: 'an-unknown-setup-code-of-forty-some-characters', email: 'x@example.com', password: PASSWORD },
      }),
    );
    expect(guessed.statuses).toEqual([404]);
    expect(guessed.ms).toBeLessThan(baseline.ms * 2 + 300);
  });
});
