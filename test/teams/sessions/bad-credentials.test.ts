import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { defaultWorkspace, fromAddress } from '../support.js';

let t: TestApp;
let ws: string;
beforeAll(async () => {
  t = await createTestApp();
  ws = await defaultWorkspace(t.runtime.db);
});
afterAll(() => t.close());

const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, payload, headers, ...fromAddress() });
const paths = (res: { json(): { error: { details: { path: string }[] } } }) =>
  res
    .json()
    .error.details.map((d) => d.path)
    .sort();

// One 400 names every bad field, so a form shows them all at once.
describe('an email that is no email beside a password that is too short', () => {
  test('sign-in names both /email and /password', async () => {
    const res = await post('/api/auth/sign-in', { email: 'nope', password: 'short' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
    expect(paths(res)).toEqual(['/email', '/password']);
  });

  test('setup names both /email and /password', async () => {
    const res = await post('/api/auth/setup', { code: 'x'.repeat(40), email: 'nope', password: 'short' });
    expect(res.statusCode).toBe(400);
    expect(paths(res)).toEqual(['/email', '/password']);
  });

  test('an invitation names both /email and /role', async () => {
    const res = await post(`/api/workspaces/${ws}/invitations`, { email: 'nope', role: 'boss' }, t.auth);
    expect(res.statusCode).toBe(400);
    expect(paths(res)).toEqual(['/email', '/role']);
  });

  test('a padded, upper-case email is still taken as the trimmed lower-case one', async () => {
    const res = await post(
      `/api/workspaces/${ws}/invitations`,
      { email: '  New@Example.COM ', role: 'viewer' },
      t.auth,
    );
    expect(res.statusCode).toBe(201);
    expect(res.json().email).toBe('new@example.com');
  });
});
