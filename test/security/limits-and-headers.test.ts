import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, TEST_TOKEN, type TestApp } from '../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const from = (remoteAddress: string, authorization?: string) => ({
  remoteAddress,
  ...(authorization ? { headers: { authorization } } : {}),
});

describe('guessing tokens', () => {
  test('more than 20 failed authentications a minute from one address answer 429, also for a right token', async () => {
    const guesser = '203.0.113.7';
    for (let i = 0; i < 20; i++) {
      const res = await t.app.inject({ method: 'GET', url: '/api/nodes', ...from(guesser, `Bearer guess-${i}`) });
      expect(res.statusCode).toBe(401);
    }
    const blocked = await t.app.inject({ method: 'GET', url: '/api/nodes', ...from(guesser, 'Bearer guess-21') });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.code).toBe('rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
    const right = await t.app.inject({ method: 'GET', url: '/api/nodes', ...from(guesser, `Bearer ${TEST_TOKEN}`) });
    expect(right.statusCode).toBe(429);
  });

  test('another address is not held back by the guesser', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/nodes',
      ...from('203.0.113.8', `Bearer ${TEST_TOKEN}`),
    });
    expect(res.statusCode).toBe(200);
  });

  test('successful calls do not count against an address', async () => {
    for (let i = 0; i < 30; i++) {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/nodes',
        ...from('203.0.113.9', `Bearer ${TEST_TOKEN}`),
      });
      expect(res.statusCode).toBe(200);
    }
  });

  test('X-Forwarded-For is not believed unless a proxy is trusted, so a guesser cannot pick its address', async () => {
    const guesser = '203.0.113.10';
    for (let i = 0; i < 21; i++) {
      await t.app.inject({
        method: 'GET',
        url: '/api/nodes',
        remoteAddress: guesser,
        headers: { authorization: `Bearer guess-${i}`, 'x-forwarded-for': `192.0.2.${i}` },
      });
    }
    const res = await t.app.inject({ method: 'GET', url: '/api/nodes', ...from(guesser, 'Bearer again') });
    expect(res.statusCode).toBe(429);
  });
});

describe('visitor routes', () => {
  test('tracking allows 600 requests a minute per address, then answers 429 with Retry-After', async () => {
    const visitor = '198.51.100.20';
    for (let i = 0; i < 600; i++) {
      const res = await t.app.inject({ method: 'GET', url: '/t/o/not-a-token', remoteAddress: visitor });
      expect(res.statusCode).not.toBe(429);
    }
    const res = await t.app.inject({ method: 'GET', url: '/t/o/not-a-token', remoteAddress: visitor });
    expect(res.statusCode).toBe(429);
    expect(res.json().error.code).toBe('rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    const other = await t.app.inject({
      method: 'GET',
      url: '/unsubscribe/not-a-token',
      remoteAddress: '198.51.100.21',
    });
    expect(other.statusCode).not.toBe(429);
  });

  test('the 600 are shared by all visitor routes: once tracking used them, forms and unsubscribe answer 429', async () => {
    const visitor = '198.51.100.23';
    for (let i = 0; i < 600; i++)
      await t.app.inject({ method: 'GET', url: `/t/o/not-a-token-${i}`, remoteAddress: visitor });
    for (const [method, url] of [
      ['GET', '/f/signup'],
      ['POST', '/f/signup'],
      ['GET', '/f/signup/embed.js'],
      ['GET', '/unsubscribe/not-a-token'],
      ['GET', '/t/c/not-a-token'],
    ] as const) {
      const res = await t.app.inject({ method, url, remoteAddress: visitor });
      expect(res.statusCode, `${method} ${url}`).toBe(429);
    }
  });

  test('a path that does not decode is counted against its address like any other', async () => {
    const visitor = '198.51.100.22';
    for (const url of ['/t/o/%ff%fe', '/t/o/%E0%A4%A', '/t/o/%zz']) {
      const res = await t.app.inject({ method: 'GET', url, remoteAddress: visitor });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code).toBe('not_found');
      expect(res.headers['x-ratelimit-limit'], url).toBe('600');
    }
    const res = await t.app.inject({ method: 'GET', url: '/t/o/not-a-token', remoteAddress: visitor });
    expect(res.headers['x-ratelimit-remaining']).toBe('596');
  });
});

describe('browser hardening', () => {
  test('every answer says nosniff', async () => {
    for (const url of ['/api/nodes', '/healthz', '/no/such/route', '/api/openapi.json']) {
      const res = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  test('so does every answer to a path that does not decode or is too long, and to a body refused', async () => {
    const auth = { authorization: `Bearer ${TEST_TOKEN}` };
    const long = `/t/c/${'x'.repeat(20_000)}`;
    const calls = [
      { method: 'GET', url: '/t/c/%ff%fe' },
      { method: 'GET', url: '/t/o/%E0%A4%A' },
      { method: 'POST', url: '/unsubscribe/%ff' },
      { method: 'GET', url: '/api/messages/%ff', headers: auth },
      { method: 'GET', url: '/no/such/%ff' },
      { method: 'GET', url: long },
      { method: 'POST', url: '/api/journeys', headers: { ...auth, 'content-type': 'application/json' }, payload: '{' },
      {
        method: 'POST',
        url: '/api/journeys',
        headers: { ...auth, 'content-type': 'application/json', 'content-length': String(64 * 1024 * 1024) },
        payload: '{}',
      },
    ] as const;
    for (const call of calls) {
      const res = await t.app.inject(call);
      const name = `${call.method} ${call.url.slice(0, 40)} → ${res.statusCode}`;
      expect(res.statusCode, name).toBeGreaterThanOrEqual(400);
      expect(res.json().error.code, name).toBeTypeOf('string');
      expect(res.headers['x-content-type-options'], name).toBe('nosniff');
      expect(res.headers['content-security-policy'], name).toContain("frame-ancestors 'none'");
    }
  });

  test('pages may not be framed and run no inline script', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/unsubscribe/not-a-token' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
  });

  test('/healthz names no error text', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(Object.keys(res.json())).toEqual(['ok']);
  });
});
