import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('contact rules settings', () => {
  test('are empty on a fresh install', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/settings/contact-rules', headers: t.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({});
  });

  test('are replaced by PUT and read back', async () => {
    const rules = {
      marketing: { maxMessages: 3, period: 'P7D' },
      quietHours: { start: '21:00', end: '08:00' },
      requireConsent: false,
    };
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/settings/contact-rules',
      headers: t.auth,
      payload: rules,
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual(rules);
    const get = await t.app.inject({ method: 'GET', url: '/api/settings/contact-rules', headers: t.auth });
    expect(get.json()).toEqual(rules);
    await t.app.inject({ method: 'PUT', url: '/api/settings/contact-rules', headers: t.auth, payload: {} });
    expect((await t.app.inject({ method: 'GET', url: '/api/settings/contact-rules', headers: t.auth })).json()).toEqual(
      {},
    );
  });

  test('refuse a bad quiet-hours time', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/settings/contact-rules',
      headers: t.auth,
      payload: { quietHours: { start: '25:00', end: '08:00' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
  });

  const putRules = (payload: object) =>
    t.app.inject({ method: 'PUT', url: '/api/settings/contact-rules', headers: t.auth, payload });

  test('refuse a frequency cap period past 1000 years, naming it', async () => {
    const res = await putRules({ marketing: { maxMessages: 3, period: 'P99999Y' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/marketing/period', message: 'body/marketing/period must be at most 1000 years (P365250D)' }],
    });
  });

  test('take a frequency cap period of exactly 1000 years', async () => {
    const rules = { marketing: { maxMessages: 3, period: 'P365250D' } };
    const res = await putRules(rules);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(rules);
  });
});
