import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { issueResetLink } from '../../../server/teams/accounts/reset-links.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { changePassword, defaultWorkspace, makeUser, PASSWORD, signIn } from '../support.js';
import { entriesOf } from './audit-refusal.js';

// A password change or reset is recorded on the user, by that user, in the transaction that
// sets the password: it names no password, and a refused change records nothing.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const user = async (email: string) => makeUser(t.runtime.db, email, await defaultWorkspace(t.runtime.db), 'editor');
const confirm = (token: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/auth/password-reset/confirm',
    payload: { token, password: 'a brand new password' },
  });
/** The whole entry of a change a user made to their own account: no details, so no password. */
const byItself = (id: string, email: string, action: string) => ({
  id: expect.any(String),
  at: expect.any(String),
  actor: { type: 'user', id, name: expect.any(String), email },
  action,
  object: { type: 'user', id },
});

describe('the audit log of a password change', () => {
  test('records user.password_changed on the user, by the user, with no details', async () => {
    const id = await user('changes@example.com');
    const browser = await signIn(t.app, 'changes@example.com');
    expect((await changePassword(t.app, browser, PASSWORD, 'a brand new password')).statusCode).toBe(204);
    expect(await entriesOf(t, id)).toEqual([byItself(id, 'changes@example.com', 'user.password_changed')]);
  });

  test('a wrong current password changes nothing and records nothing', async () => {
    const id = await user('wrong-current@example.com');
    const browser = await signIn(t.app, 'wrong-current@example.com');
    expect((await changePassword(t.app, browser, 'not the password', 'a brand new password')).statusCode).toBe(401);
    expect(await entriesOf(t, id)).toEqual([]);
  });
});

describe('the audit log of a password reset', () => {
  test('records user.password_reset on the user, by that user, who had no session', async () => {
    const id = await user('resets@example.com');
    expect((await confirm((await issueResetLink(t.runtime.db, id)) as string)).statusCode).toBe(204);
    expect(await entriesOf(t, id)).toEqual([byItself(id, 'resets@example.com', 'user.password_reset')]);
  });

  test('a link used once resets nothing the second time and records one entry', async () => {
    const id = await user('reuses@example.com');
    const token = (await issueResetLink(t.runtime.db, id)) as string;
    expect((await confirm(token)).statusCode).toBe(204);
    expect((await confirm(token)).statusCode).toBe(404);
    expect((await entriesOf(t, id)).map((e) => e.action)).toEqual(['user.password_reset']);
  });
});
