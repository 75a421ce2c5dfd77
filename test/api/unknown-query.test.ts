import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { createJourney } from './journeys/support.js';

// A misspelt query parameter was ignored, so `?segmnt=` listed every contact and `?contactid=`
// every event. server/README.md: a field a route does not know is named.
let t: TestApp;
let journeyId: string;
beforeAll(async () => {
  t = await createTestApp();
  journeyId = await createJourney(t);
});
afterAll(() => t.close());

const expectNamed = async (method: 'GET' | 'POST', url: string, field: string) => {
  const body = method === 'POST' ? { headers: { ...t.auth, 'content-type': 'text/csv' }, payload: '' } : {};
  const res = await t.app.inject({ method, url, headers: t.auth, ...body });
  expect(res.statusCode, res.body).toBe(400);
  expect(res.json().error).toMatchObject({
    code: 'validation_failed',
    details: expect.arrayContaining([{ path: `/${field}`, message: `querystring/${field} is not a known field` }]),
  });
};

describe('a query parameter the route does not know answers 400 naming it', () => {
  test('GET /api/contacts?segmnt=', () => expectNamed('GET', '/api/contacts?segmnt={}', 'segmnt'));
  test('GET /api/events?contactid=', () =>
    expectNamed('GET', '/api/events?contactid=00000000-0000-4000-8000-000000000000', 'contactid'));
  test('POST /api/contacts/import?sorce=', () => expectNamed('POST', '/api/contacts/import?sorce=crm', 'sorce'));
  test('GET /api/journeys?tags=', () => expectNamed('GET', '/api/journeys?tags=x', 'tags'));
  test('GET /api/journeys/:id/diff?too=', () =>
    expectNamed('GET', `/api/journeys/${journeyId}/diff?from=draft&too=1`, 'too'));
  test('GET /api/journeys/:id/stats?versoin=', () =>
    expectNamed('GET', `/api/journeys/${journeyId}/stats?versoin=1`, 'versoin'));
  test('GET /api/journeys/:id/analytics?buckets=', () =>
    expectNamed('GET', `/api/journeys/${journeyId}/analytics?buckets=day`, 'buckets'));
  test('GET /api/journeys/:id/experiments?metrc=', () =>
    expectNamed('GET', `/api/journeys/${journeyId}/experiments?metrc=goal`, 'metrc'));
});

describe('the parameters a route knows still work', () => {
  test('GET /api/events?contactId= lists only that contact', async () => {
    const res = await t.app.inject({
      url: '/api/events?contactId=00000000-0000-4000-8000-000000000000&limit=5',
      headers: t.auth,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().events).toEqual([]);
  });
});
