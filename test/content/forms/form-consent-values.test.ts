import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// contracts/content.md: `_consent` is ticked by `true`, "on", "yes" or "1". A JSON body sending
// the 1 as a number was refused as if unticked.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://forms.example.com' });
  await t.app.inject({
    method: 'PUT',
    url: '/api/forms/consent-values',
    headers: t.auth,
    payload: {
      name: 'Consent values',
      fields: [{ name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' }],
      consentText: 'Send me news',
    },
  });
});
afterAll(() => t.close());

const submit = (email: string, consent: unknown) =>
  t.app.inject({ method: 'POST', url: '/f/consent-values', payload: { email, _consent: consent } });

const consentOf = async (email: string) => {
  const segment = encodeURIComponent(JSON.stringify({ attr: 'email', op: 'eq', value: email }));
  const res = await t.app.inject({ url: `/api/contacts?segment=${segment}`, headers: t.auth });
  return res.json().contacts[0]?.consent.email.status;
};

describe('a JSON submission’s _consent', () => {
  test.each([
    ['the number 1', 1],
    ['true', true],
    ['"1"', '1'],
    ['"true"', 'true'],
    ['"on"', 'on'],
    ['"yes"', 'yes'],
  ])('%s ticks it: 202 and email consent subscribed', async (name, consent) => {
    const email = `ticked-${name.replace(/\W/g, '')}@example.com`;
    const res = await submit(email, consent);
    expect(res.statusCode).toBe(202);
    expect(await consentOf(email)).toBe('subscribed');
  });

  test.each([
    ['the number 0', 0],
    ['the number 2', 2],
    ['false', false],
    ['"no"', 'no'],
  ])('%s leaves it unticked: 400 validation_failed at /_consent, and no contact', async (name, consent) => {
    const email = `unticked-${name.replace(/\W/g, '')}@example.com`;
    const res = await submit(email, consent);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/_consent', message: 'please agree to the consent text' }],
    });
    expect(await consentOf(email)).toBeUndefined();
  });
});
