import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const post = (url: string, payload: object) => t.app.inject({ method: 'POST', url, headers: t.auth, payload });
const get = async (id: string) => (await t.app.inject({ url: `/api/contacts/${id}`, headers: t.auth })).json();

describe('an upsert never replaces an identity value ranked above the one that matched it', () => {
  test('matched by phone, a different email is 409 conflict naming email, and the email stays', async () => {
    const ann = (await post('/api/contacts', { email: 'conf-1@example.com', phone: '+358402220001' })).json().id;
    const res = await post('/api/contacts', { phone: '+358402220001', email: 'conf-1-new@example.com' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/^email /) });
    expect(await get(ann)).toMatchObject({ email: 'conf-1@example.com', phone: '+358402220001' });
  });

  test('matched by phone, a different externalId is 409 conflict naming externalId', async () => {
    const ann = (await post('/api/contacts', { externalId: 'conf-2', phone: '+358402220002' })).json().id;
    const res = await post('/api/contacts', { phone: '+358402220002', externalId: 'conf-2-other' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toMatch(/^externalId /);
    expect((await get(ann)).externalId).toBe('conf-2');
  });

  test('matched by email, a different externalId is 409 conflict naming externalId', async () => {
    await post('/api/contacts', { externalId: 'conf-3', email: 'conf-3@example.com' });
    const res = await post('/api/contacts', { email: 'conf-3@example.com', externalId: 'conf-3-other' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toMatch(/^externalId /);
  });

  test('matched by phone, an email fills the contact’s empty email', async () => {
    const ann = (await post('/api/contacts', { phone: '+358402220004' })).json().id;
    const res = await post('/api/contacts', { phone: '+358402220004', email: 'conf-4@example.com' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: ann, email: 'conf-4@example.com' });
  });

  test('matched by externalId, a new email and phone replace the ones it held', async () => {
    const ann = (await post('/api/contacts', { externalId: 'conf-5', email: 'conf-5@example.com' })).json().id;
    const res = await post('/api/contacts', { externalId: 'conf-5', email: 'conf-5-new@example.com' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: ann, email: 'conf-5-new@example.com' });
  });

  test('matched by email, a new phone replaces the one it held', async () => {
    const ann = (await post('/api/contacts', { email: 'conf-6@example.com', phone: '+358402220006' })).json().id;
    const res = await post('/api/contacts', { email: 'conf-6@example.com', phone: '+358402220066' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: ann, phone: '+358402220066' });
  });

  test('matched by phone, the email is replaced by clearing it first', async () => {
    const ann = (await post('/api/contacts', { email: 'conf-7@example.com', phone: '+358402220007' })).json().id;
    expect((await post('/api/contacts', { phone: '+358402220007', email: null })).statusCode).toBe(200);
    const res = await post('/api/contacts', { phone: '+358402220007', email: 'conf-7-new@example.com' });
    expect(res.json()).toMatchObject({ id: ann, email: 'conf-7-new@example.com' });
  });

  test('an event matched by phone with a different email is 400 naming email, and nothing is stored', async () => {
    const ann = (await post('/api/contacts', { email: 'conf-8@example.com', phone: '+358402220008' })).json().id;
    const res = await post('/api/events', { phone: '+358402220008', email: 'conf-8-new@example.com', name: 'ping' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: '/email', message: expect.stringMatching(/^email /) }]);
    expect((await get(ann)).email).toBe('conf-8@example.com');
    const events = await t.app.inject({ url: `/api/events?contactId=${ann}&name=ping`, headers: t.auth });
    expect(events.json().events).toEqual([]);
  });
});
