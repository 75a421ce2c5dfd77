import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../../support/runtime.js';
import { form } from '../../two-workspaces.js';
import { caller, expectRefused, whileAuditRefused } from '../audit-refusal.js';

// teams.md "Audit log": every successful change is appended in the same transaction as the
// change. A template, snippet or form change whose entry cannot be written is not made.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const call = (...args: Parameters<ReturnType<typeof caller>>) => caller(t)(...args);

const template = (subject: string) => ({ name: 'Welcome', format: 'html', subject, body: '<p>Hi</p>' });

describe.each([
  ['template', '/api/templates/welcome', template('Hi'), template('Changed')],
  ['snippet', '/api/snippets/footer', { body: 'Bye' }, { body: 'Changed' }],
  ['form', '/api/forms/news', form, { ...form, name: 'Changed' }],
])('a %s whose change cannot be recorded', (_kind, url, body, changed) => {
  test('making it answers 500 and it does not exist', async () => {
    expectRefused(await whileAuditRefused(t, () => call('PUT', url, body)));
    expect((await call('GET', url)).statusCode).toBe(404);
  });

  test('changing it answers 500 and it stays as it was', async () => {
    expect((await call('PUT', url, body)).statusCode).toBe(201);
    const before = (await call('GET', url)).json();
    expectRefused(await whileAuditRefused(t, () => call('PUT', url, changed)));
    expect((await call('GET', url)).json()).toEqual(before);
  });

  test('deleting it answers 500 and it is still there', async () => {
    expectRefused(await whileAuditRefused(t, () => call('DELETE', url)));
    expect((await call('GET', url)).statusCode).toBe(200);
  });
});
