import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { entriesOf, expectRefused, whileAuditRefused } from './audit-refusal.js';

// teams.md "Audit log": every successful change is appended in the same transaction as the
// change (contact.created, contact.updated, contact.erased). A contact change whose entry
// cannot be written is not made.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const call = (method: string, url: string, payload?: object) =>
  t.app.inject({ method: method as 'GET', url, headers: t.auth, ...(payload ? { payload } : {}) });
const byEmail = async (email: string) =>
  (
    (
      await call(
        'GET',
        `/api/contacts?segment=${encodeURIComponent(JSON.stringify({ attr: 'email', op: 'eq', value: email }))}`,
      )
    ).json() as {
      contacts: { id: string; attributes: Record<string, unknown> }[];
    }
  ).contacts;

describe('contacts whose change cannot be recorded', () => {
  test('creating one answers 500 and no contact is made', async () => {
    expectRefused(await whileAuditRefused(t, () => call('POST', '/api/contacts', { email: 'never@example.com' })));
    expect(await byEmail('never@example.com')).toEqual([]);
  });

  test('updating one answers 500 and its attributes stay', async () => {
    const made = await call('POST', '/api/contacts', { email: 'kept@example.com', attributes: { plan: 'free' } });
    expect(made.statusCode).toBe(201);
    const res = await whileAuditRefused(t, () =>
      call('POST', '/api/contacts', { email: 'kept@example.com', attributes: { plan: 'pro' } }),
    );
    expectRefused(res);
    expect((await byEmail('kept@example.com'))[0]?.attributes).toMatchObject({ plan: 'free' });
    expect((await entriesOf(t, made.json().id)).map((e) => e.action)).toEqual(['contact.created']);
  });

  test('erasing one answers 500 and the contact is still there', async () => {
    const { id } = (await call('POST', '/api/contacts', { email: 'not-erased@example.com' })).json() as { id: string };
    expectRefused(await whileAuditRefused(t, () => call('DELETE', `/api/contacts/${id}`)));
    expect((await call('GET', `/api/contacts/${id}`)).statusCode).toBe(200);
  });
});
