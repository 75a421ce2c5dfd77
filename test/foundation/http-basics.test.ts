import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('health, auth and errors', () => {
  test('GET /healthz answers ok once the database is migrated', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
  });

  test('an /api route without a token answers 401 unauthorized', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/journeys' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
  });

  test('an /api route with a wrong token answers 401', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/journeys', headers: { authorization: 'Bearer nope' } });
    expect(res.statusCode).toBe(401);
  });

  test('an unknown route answers a JSON 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/no/such/thing', headers: t.auth });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'no route GET /no/such/thing' } });
  });

  test('the OpenAPI document needs no token', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.json().openapi).toMatch(/^3\./);
  });
});
