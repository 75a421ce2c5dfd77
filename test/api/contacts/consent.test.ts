import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { storeContact } from '../../test-runs/support.js';

// API.md: PUT /api/contacts/:id/consent { channel, status, source }; "every change is also
// stored as an event". A write changing only the source replaced the earlier proof with no trail.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const putConsent = (contactId: string, payload: object) =>
  t.app.inject({ method: 'PUT', url: `/api/contacts/${contactId}/consent`, headers: t.auth, payload });
const consentEvents = async (contactId: string) =>
  (await t.app.inject({ url: `/api/events?contactId=${contactId}&name=consent.changed`, headers: t.auth }))
    .json()
    .events.map((e: { properties: object }) => e.properties)
    .reverse();

describe('PUT /api/contacts/:id/consent', () => {
  test('a change of source alone is a change, stored as an event', async () => {
    const id = await storeContact(t, { email: 'source@example.com' });
    await putConsent(id, { channel: 'email', status: 'subscribed', source: 'checkout' });
    const res = await putConsent(id, { channel: 'email', status: 'subscribed', source: 'crm-sync' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'subscribed', source: 'crm-sync' });
    expect(await consentEvents(id)).toEqual([
      { channel: 'email', status: 'subscribed', previous: 'unknown', source: 'checkout' },
      { channel: 'email', status: 'subscribed', previous: 'subscribed', source: 'crm-sync' },
    ]);
  });

  test('the same status and source again changes nothing and records nothing', async () => {
    const id = await storeContact(t, { email: 'same@example.com' });
    await putConsent(id, { channel: 'sms', status: 'unsubscribed', source: 'support' });
    await putConsent(id, { channel: 'sms', status: 'unsubscribed', source: 'support' });
    expect(await consentEvents(id)).toHaveLength(1);
  });

  test.each([
    ['missing', {}, 'body/source is required'],
    ['blank', { source: '  ' }, 'body/source must not be blank'],
  ])('a %s source answers 400 naming it and changes nothing', async (_, source, message) => {
    const id = await storeContact(t, { email: `no-source-${message.length}@example.com` });
    const res = await putConsent(id, { channel: 'email', status: 'unsubscribed', ...source });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: '/source', message }] });
    const contact = (await t.app.inject({ url: `/api/contacts/${id}`, headers: t.auth })).json();
    expect(contact.consent.email.status).toBe('unknown');
    expect(await consentEvents(id)).toEqual([]);
  });
});
