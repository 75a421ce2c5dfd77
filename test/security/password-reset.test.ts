import type { PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { defaultWorkspace, makeUser } from '../teams/support.js';

// teams.md: POST /api/auth/password-reset answers 202 {} whether or not the email is known.
// The answer must not wait on anything only a known email does (storing its link, mailing
// it), or its timing tells which addresses have accounts.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'http://waymark.test' });
  await makeUser(t.runtime.db, 'member@example.com', await defaultWorkspace(t.runtime.db), 'viewer');
});
afterAll(() => t?.close());

const reset = (email: string) => t.app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email } });

/** The answer, or 'late' when none came within `ms`. */
async function within<T>(ms: number, answer: Promise<T>): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const first = await Promise.race([answer, late]);
  clearTimeout(timer);
  return first;
}

describe('a password reset for a known email', () => {
  test('is answered while storing its link is held up, as one for an unknown email is', async () => {
    const holder: PoolClient = await t.runtime.pool.connect();
    try {
      // Whatever slows the writing of a link (a busy table, a slow disk) must not show.
      await holder.query('begin');
      await holder.query('lock table password_resets in access exclusive mode');
      const unknown = await within(3000, reset('nobody@example.com'));
      const known = await within(3000, reset('member@example.com'));
      expect(unknown === 'late' ? 'late' : unknown.statusCode).toBe(202);
      expect(known === 'late' ? 'late' : known.statusCode).toBe(202);
      if (known !== 'late' && unknown !== 'late') expect(known.json()).toEqual(unknown.json());
    } finally {
      await holder.query('rollback');
      holder.release();
    }
  });

  test('still gets its link, once the table is free', async () => {
    const before = await t.runtime.db.selectFrom('password_resets').select('token_hash').execute();
    expect((await reset('member@example.com')).statusCode).toBe(202);
    await expect
      .poll(async () => (await t.runtime.db.selectFrom('password_resets').select('token_hash').execute()).length, {
        timeout: 5000,
      })
      .toBeGreaterThan(before.length);
  });
});
