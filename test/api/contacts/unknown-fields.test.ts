import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { storeContact } from '../../test-runs/support.js';

// A misspelt field was dropped without a word: {"tag":"vip","ttl":5} added a tag that never
// expires and {"emial":…} made a contact with no identity. server/README.md: a field a route
// does not know is named.
let t: TestApp;
let contactId: string;
beforeAll(async () => {
  t = await createTestApp();
  contactId = await storeContact(t, { email: 'a@example.com' });
});
afterAll(() => t.close());

const send = (method: 'POST' | 'PUT', url: string, payload: object) =>
  t.app.inject({ method, url, headers: t.auth, payload });
const expectNamed = (res: Awaited<ReturnType<typeof send>>, field: string) => {
  expect(res.statusCode, res.body).toBe(400);
  expect(res.json().error).toMatchObject({
    code: 'validation_failed',
    details: expect.arrayContaining([{ path: `/${field}`, message: `body/${field} is not a known field` }]),
  });
};

describe('a field the route does not know answers 400 naming it', () => {
  test('POST /api/contacts with emial makes no contact', async () => {
    const before = (await t.runtime.db.selectFrom('contacts').select('id').execute()).length;
    expectNamed(await send('POST', '/api/contacts', { emial: 'b@example.com' }), 'emial');
    expect((await t.runtime.db.selectFrom('contacts').select('id').execute()).length).toBe(before);
  });

  test('POST /api/events with propertes records nothing', async () => {
    expectNamed(await send('POST', '/api/events', { email: 'a@example.com', name: 'x', propertes: {} }), 'propertes');
  });

  test('POST /api/contacts/:id/tags with ttl', async () => {
    expectNamed(await send('POST', `/api/contacts/${contactId}/tags`, { tag: 'vip', ttl: 5 }), 'ttl');
  });

  test('POST /api/contacts/:id/lists with a second field', async () => {
    expectNamed(await send('POST', `/api/contacts/${contactId}/lists`, { list: 'news', lists: ['x'] }), 'lists');
  });

  test('PUT /api/contacts/:id/consent with sorce', async () => {
    expectNamed(
      await send('PUT', `/api/contacts/${contactId}/consent`, { channel: 'email', status: 'subscribed', sorce: 'x' }),
      'sorce',
    );
  });

  test('PUT /api/tags/:tag with ttl beside ttlSeconds', async () => {
    expectNamed(await send('PUT', '/api/tags/vip', { ttlSeconds: 5, ttl: 5 }), 'ttl');
  });

  test('POST /api/contacts/:id/merge with a second field', async () => {
    expectNamed(await send('POST', `/api/contacts/${contactId}/merge`, { from: contactId, into: contactId }), 'into');
  });
});
