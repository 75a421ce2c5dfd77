import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { createJourney } from './journeys/support.js';

// API.md "Errors": a body, query or path parameter that fails its schema answers 400
// validation_failed, its details naming each field.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });

describe('a JSON body is taken as typed', () => {
  test('a string where a list is expected is refused, not wrapped in a list', async () => {
    const res = await call('PUT', '/api/settings/attribute-sources', { default: 'crm', attributes: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
    expect(res.json().error.details).toContainEqual(expect.objectContaining({ path: '/default' }));
    expect((await call('GET', '/api/settings/attribute-sources')).json().default).not.toEqual(['crm']);
  });

  test('a number where a string is expected is refused, not turned into text', async () => {
    const res = await call('POST', '/api/contacts', { email: 'typed@example.com', source: 5 });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toContainEqual(expect.objectContaining({ path: '/source' }));
  });
});

describe('a field the route does not know', () => {
  test('is named in the path and the message', async () => {
    const res = await call('PUT', '/api/computed-attributes/typo1', {
      definition: { kind: 'aggregate', fn: 'count', event: 'x' },
      refresh: 'PT1M',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: '/refresh', message: 'body/refresh is not a known field' }]);
  });
});

describe('the path and the query string', () => {
  test('arrive as text and are converted to what their schemas say', async () => {
    await call('POST', '/api/contacts', { email: 'listed@example.com' });
    const res = await call('GET', '/api/contacts?limit=1');
    expect(res.statusCode).toBe(200);
    expect(res.json().contacts).toHaveLength(1);
  });

  test('a path parameter that fails its schema is named', async () => {
    const res = await call('GET', '/api/journeys/not-a-uuid');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe("the request's params are invalid");
    expect(res.json().error.details).toContainEqual(expect.objectContaining({ path: '/id' }));
  });
});

describe('a version number', () => {
  test('beyond what a version can reach is refused with the field named, never a 500', async () => {
    const id = await createJourney(t);
    const big = 2_147_483_648;
    for (const url of [
      `/api/journeys/${id}/versions/${big}`,
      `/api/journeys/${id}/stats?version=${big}`,
      `/api/journeys/${id}/analytics?version=${big}`,
    ]) {
      const res = await call('GET', url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.details, url).toContainEqual(expect.objectContaining({ path: '/version' }));
    }
  });
});
