import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const post = (url: string, payload: object) => t.app.inject({ method: 'POST', url, headers: t.auth, payload });
const holders = async (phone: string) =>
  (
    await t.app.inject({
      url: `/api/contacts?segment=${encodeURIComponent(JSON.stringify({ attr: 'phone', op: 'eq', value: phone }))}`,
      headers: t.auth,
    })
  ).json().total;

describe('a phone with an extension is refused, not stored as another number', () => {
  test.each(['+1 415 555 0100 ext. 12', '+1 415 555 0101 x12', '+14155550102;ext=12'])(
    'POST /api/contacts with %s is 400 at /phone naming the extension',
    async (phone) => {
      const res = await post('/api/contacts', { email: `ext-${phone.replace(/\D/g, '')}@example.com`, phone });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({
        code: 'validation_failed',
        details: [{ path: '/phone', message: expect.stringContaining('extension 12') }],
      });
    },
  );

  test('an event naming a phone with an extension is 400 at /phone and creates no contact', async () => {
    const res = await post('/api/events', { phone: '+1 415 555 0110 ext. 7', name: 'called' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: '/phone', message: expect.stringContaining('extension 7') }]);
    expect(await holders('+14155550110')).toBe(0);
  });

  test('an NDJSON import line with one fails alone, naming phone', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/contacts/import',
      headers: { ...t.auth, 'content-type': 'application/x-ndjson' },
      payload: `${JSON.stringify({ phone: '+1 415 555 0120 x3' })}\n${JSON.stringify({ phone: '+1 415 555 0121' })}\n`,
    });
    expect(res.json()).toMatchObject({
      imported: 1,
      failed: [{ row: 1, field: 'phone', error: expect.stringContaining('extension 3') }],
    });
    expect(await holders('+14155550120')).toBe(0);
  });

  test('a form field mapped to phone with one is a field error', async () => {
    await t.app.inject({
      method: 'PUT',
      url: '/api/forms/ext',
      headers: t.auth,
      payload: {
        name: 'Ext',
        fields: [
          { name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' },
          { name: 'mobile', label: 'Mobile', type: 'tel', mapTo: 'phone' },
        ],
      },
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/f/ext',
      payload: { email: 'ext-form@example.com', mobile: '+1 415 555 0130 ext. 9' },
      headers: { 'user-agent': 'Test/1.0' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: '/mobile', message: expect.stringContaining('extension 9') }]);
  });
});
