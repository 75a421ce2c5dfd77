import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// API.md "Sending credentials": `endpoint` replaces the provider's public host; "a loopback or
// private one is refused unless WAYMARK_HTTP_ALLOW_PRIVATE=true. Bad data → 400
// validation_failed with path under /data."

async function saveCredential(t: TestApp, endpoint: string) {
  return t.app.inject({
    method: 'POST',
    url: '/api/credentials',
    headers: t.auth,
    payload: { name: 'Postmark', type: 'postmark.server', data: { serverToken: 'pm-token', endpoint } },
  });
}

describe('a provider endpoint on a loopback or private address', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  test.each([
    'http://127.0.0.1:8080',
    'http://localhost:3000',
    'https://10.1.2.3',
    'http://192.168.0.10/',
    'http://[::1]:8080',
    'http://[::ffff:127.0.0.1]',
    'http://localhost.:3000',
    'http://2130706433',
  ])('%s is refused at /data/endpoint', async (endpoint) => {
    const res = await saveCredential(t, endpoint);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
    expect(res.json().error.details).toEqual([expect.objectContaining({ path: '/data/endpoint' })]);
  });

  test('is refused when a credential is changed to it', async () => {
    const created = await saveCredential(t, 'https://api.eu.postmark.example');
    expect(created.statusCode).toBe(201);
    const res = await t.app.inject({
      method: 'PUT',
      url: `/api/credentials/${created.json().id}`,
      headers: t.auth,
      payload: { data: { serverToken: 'pm-token', endpoint: 'http://127.0.0.1:8080' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([expect.objectContaining({ path: '/data/endpoint' })]);
  });

  test('a public host is taken', async () => {
    expect((await saveCredential(t, 'https://api.eu.mailgun.net')).statusCode).toBe(201);
  });
});

describe('with WAYMARK_HTTP_ALLOW_PRIVATE=true', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  });
  afterAll(async () => {
    await t.close();
  });

  test('a loopback endpoint is taken (a stand-in server)', async () => {
    expect((await saveCredential(t, 'http://127.0.0.1:8080')).statusCode).toBe(201);
  });
});
