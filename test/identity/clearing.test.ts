import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const post = (payload: object) => t.app.inject({ method: 'POST', url: '/api/contacts', headers: t.auth, payload });

describe('null clears an identity field in POST /api/contacts', () => {
  test('phone: null clears the phone of the contact the email names', async () => {
    const created = await post({ email: 'clear-1@example.com', phone: '+358401230001' });
    const res = await post({ email: 'clear-1@example.com', phone: null });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: created.json().id, email: 'clear-1@example.com', phone: null });
    // The number is free: it now names a new contact.
    const other = await post({ phone: '+358401230001' });
    expect(other.statusCode).toBe(201);
    expect(other.json().id).not.toBe(created.json().id);
  });

  test('email: null and externalId: null clear those fields of the contact the phone names', async () => {
    const created = await post({ externalId: 'clear-2', email: 'clear-2@example.com', phone: '+358401230002' });
    const res = await post({ phone: '+358401230002', email: null, externalId: null });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: created.json().id, email: null, externalId: null, phone: '+358401230002' });
  });

  test('an NDJSON import line clears as the same body does in POST /api/contacts', async () => {
    await post({ email: 'clear-3@example.com', phone: '+358401230003' });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/contacts/import',
      headers: { ...t.auth, 'content-type': 'application/x-ndjson' },
      payload: `${JSON.stringify({ email: 'clear-3@example.com', phone: null })}\n`,
    });
    expect(res.json()).toMatchObject({ imported: 1, updated: 1, failed: [] });
    const again = await post({ email: 'clear-3@example.com' });
    expect(again.json().phone).toBeNull();
  });

  test('null naming no contact (no other identity field given) is 400 naming the field', async () => {
    const res = await post({ phone: null, attributes: { plan: 'pro' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: '/phone' }] });
  });

  test('clearing the last identity field a contact holds is refused, 400 naming the field', async () => {
    // The contact's own fields: an email (cleared below) and a phone; the email clear-4b names it
    // only through the contact merged into it, whose value it stays.
    const survivor = (await post({ email: 'clear-4a@example.com', phone: '+358401230004' })).json().id;
    const merged = (await post({ email: 'clear-4b@example.com' })).json().id;
    const merge = await t.app.inject({
      method: 'POST',
      url: `/api/contacts/${survivor}/merge`,
      headers: t.auth,
      payload: { from: merged },
    });
    expect(merge.statusCode).toBe(200);
    expect((await post({ phone: '+358401230004', email: null })).json()).toMatchObject({ id: survivor, email: null });
    const res = await post({ email: 'clear-4b@example.com', phone: null });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: '/phone' }] });
    const unchanged = await post({ phone: '+358401230004' });
    expect(unchanged.json()).toMatchObject({ id: survivor, phone: '+358401230004' });
  });
});
