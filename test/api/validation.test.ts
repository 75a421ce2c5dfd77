import { randomBytes } from 'node:crypto';
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

  test('is named at any depth, as is a missing one', async () => {
    const res = await call('POST', '/api/journeys', {
      name: 'Deep',
      settings: { webhookRateLimit: { window: 'PT1M', extra: 1 } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual(
      expect.arrayContaining([
        {
          path: '/settings/webhookRateLimit/extra',
          message: 'body/settings/webhookRateLimit/extra is not a known field',
        },
        { path: '/settings/webhookRateLimit/max', message: 'body/settings/webhookRateLimit/max is required' },
      ]),
    );
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

  test.each(['from', 'to'])(
    'beyond what a version can reach as a diff’s %s is refused naming it, never a 500',
    async (side) => {
      const id = await createJourney(t);
      const other = side === 'from' ? 'to' : 'from';
      const res = await call('GET', `/api/journeys/${id}/diff?${side}=2147483648&${other}=draft`);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details).toEqual([
        { path: `/${side}`, message: `querystring/${side} must be <= 2147483647` },
      ]);
    },
  );

  test('beyond what a version can reach in a test run is refused naming it, never a 500', async () => {
    const id = await createJourney(t);
    const res = await call('POST', `/api/journeys/${id}/test`, { version: 2_147_483_648 });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: '/version', message: 'body/version must be <= 2147483647' }]);
  });
});

// PostgreSQL stores neither a NUL character nor a lone UTF-16 surrogate (`"\ud800"` in JSON).
describe('text PostgreSQL cannot store', () => {
  const NUL = 'a\u0000b';
  const LONE = 'a\ud800b';
  const refusal = (where: string, problem: string) => ({ path: where, message: expect.stringContaining(problem) });

  test.each([
    ['a NUL in an attribute', { email: 'nul@example.com', attributes: { plan: NUL } }, '/attributes/plan', 'NUL'],
    ['a lone surrogate in externalId', { externalId: LONE }, '/externalId', 'well-formed Unicode'],
    [
      'a NUL in an attribute’s name',
      { email: 'nul@example.com', attributes: { [NUL]: 1 } },
      '/attributes/a\u0000b',
      'name',
    ],
  ])('%s of a contact is refused with 400 naming the field', async (_what, body, path, problem) => {
    const res = await call('POST', '/api/contacts', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
    expect(res.json().error.details).toEqual([refusal(path, problem)]);
    const { rows } = await t.runtime.pool.query("select 1 from contacts where email = 'nul@example.com'");
    expect(rows).toEqual([]);
  });

  test.each([
    ['properties', { properties: { note: NUL } }, '/properties/note'],
    ['name', { name: LONE }, '/name'],
    ['idempotencyKey', { idempotencyKey: NUL }, '/idempotencyKey'],
  ])('in an event’s %s is refused with 400 naming the field', async (_what, fields, path) => {
    const res = await call('POST', '/api/events', { email: 'events-nul@example.com', name: 'seen', ...fields });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([expect.objectContaining({ path })]);
  });

  test('in a tag, a list or a consent source is refused with 400 naming the field', async () => {
    const { id } = (await call('POST', '/api/contacts', { email: 'tagged-nul@example.com' })).json();
    for (const [method, url, body, path] of [
      ['POST', `/api/contacts/${id}/tags`, { tag: NUL }, '/tag'],
      ['POST', `/api/contacts/${id}/lists`, { list: LONE }, '/list'],
      ['PUT', `/api/contacts/${id}/consent`, { channel: 'email', status: 'subscribed', source: NUL }, '/source'],
    ] as const) {
      const res = await call(method, url, body);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.details, url).toEqual([expect.objectContaining({ path })]);
    }
  });

  test('in the query string or a path parameter is refused with 400 naming it', async () => {
    const query = await call('GET', '/api/events?name=a%00b');
    expect(query.statusCode).toBe(400);
    expect(query.json().error.details).toEqual([
      { path: '/name', message: 'querystring/name must not contain a NUL character' },
    ]);
    const { id } = (await call('POST', '/api/contacts', { email: 'path-nul@example.com' })).json();
    const param = await t.app.inject({ method: 'DELETE', url: `/api/contacts/${id}/tags/a%00b`, headers: t.auth });
    expect(param.statusCode).toBe(400);
    expect(param.json().error.details).toEqual([expect.objectContaining({ path: '/tag' })]);
  });

  test('in a segment filter’s value is refused with 400 naming the clause’s field', async () => {
    const segment = JSON.stringify({ all: [{ attr: 'plan', op: 'eq', value: NUL }] });
    const res = await call('GET', `/api/contacts?segment=${encodeURIComponent(segment)}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/all/0/value', message: 'segment/all/0/value must not contain a NUL character' },
    ]);
  });
});

describe('a value outside what a field allows', () => {
  test('names the values it may take', async () => {
    const res = await call('GET', '/api/runs?status=finished');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      {
        path: '/status',
        message: 'querystring/status must be one of "running", "waiting", "completed", "failed", "exited"',
      },
    ]);
  });

  test('of several forms is named once, with the forms it may take', async () => {
    const id = await createJourney(t);
    const res = await call('POST', `/api/journeys/${id}/test`, { version: 'latest' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/version', message: 'body/version must be an integer or "draft"' },
    ]);
  });

  test('of several forms is named by the form its type fits', async () => {
    const id = await createJourney(t);
    const res = await call('POST', `/api/journeys/${id}/test`, { version: 0 });
    expect(res.json().error.details).toEqual([{ path: '/version', message: 'body/version must be >= 1' }]);
  });

  test('an event that names no contact says which fields name one', async () => {
    const res = await call('POST', '/api/events', { name: 'visit' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '', message: 'body needs one of contactId, email, phone or externalId' },
    ]);
  });
});

// Tags, lists, event names, idempotency keys and external ids are index keys: past a few
// kilobytes PostgreSQL refuses them, so they are held to 255 characters. Random text, which
// PostgreSQL cannot compress below that, is what used to reach the index and fail as a 500.
describe('text kept as an index key', () => {
  const text = (length: number) => randomBytes(length).toString('base64url').slice(0, length);
  const contact = async () => (await call('POST', '/api/contacts', { email: `${text(12)}@example.com` })).json().id;
  const tooLong = (part: string, path: string) => ({
    path,
    message: `${part}${path} must NOT have more than 255 characters`,
  });

  test('a tag of 256 characters is refused naming /tag; one of 255 is taken', async () => {
    const id = await contact();
    const long = await call('POST', `/api/contacts/${id}/tags`, { tag: text(10_000) });
    expect(long.statusCode).toBe(400);
    expect(long.json().error.details).toEqual([tooLong('body', '/tag')]);
    expect((await call('POST', `/api/contacts/${id}/tags`, { tag: text(256) })).statusCode).toBe(400);
    expect((await call('POST', `/api/contacts/${id}/tags`, { tag: text(255) })).statusCode).toBe(200);
  });

  test('a tag lifespan for a tag of 256 characters is refused naming /tag', async () => {
    const res = await call('PUT', `/api/tags/${text(10_000)}`, { ttlSeconds: 60 });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([tooLong('params', '/tag')]);
  });

  test('a list of 256 characters is refused naming /list; one of 255 is taken', async () => {
    const id = await contact();
    const long = await call('POST', `/api/contacts/${id}/lists`, { list: text(10_000) });
    expect(long.statusCode).toBe(400);
    expect(long.json().error.details).toEqual([tooLong('body', '/list')]);
    expect((await call('POST', `/api/contacts/${id}/lists`, { list: text(255) })).statusCode).toBe(200);
  });

  test('an event name or idempotency key of 256 characters is refused naming it', async () => {
    const contactId = await contact();
    const name = await call('POST', '/api/events', { contactId, name: text(10_000) });
    expect(name.statusCode).toBe(400);
    expect(name.json().error.details).toEqual([tooLong('body', '/name')]);
    const key = await call('POST', '/api/events', { contactId, name: 'seen', idempotencyKey: text(10_000) });
    expect(key.statusCode).toBe(400);
    expect(key.json().error.details).toEqual([tooLong('body', '/idempotencyKey')]);
    const fits = await call('POST', '/api/events', { contactId, name: text(255), idempotencyKey: text(255) });
    expect(fits.statusCode).toBe(202);
  });

  test('an externalId of 256 characters is refused naming /externalId; one of 255 is taken', async () => {
    const res = await call('POST', '/api/contacts', { externalId: text(10_000) });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/externalId', message: 'externalId must be at most 255 characters' },
    ]);
    expect((await call('POST', '/api/contacts', { externalId: text(255) })).statusCode).toBe(201);
  });

  test('an import row with an externalId of 256 characters fails alone', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/contacts/import',
      headers: { ...t.auth, 'content-type': 'text/csv' },
      payload: `externalId,email\n${text(10_000)},long-id@example.com\nfits-${text(8)},fits@example.com\n`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      imported: 1,
      failed: [{ row: 1, field: 'externalId', error: 'externalId must be at most 255 characters' }],
    });
  });

  test('an event naming its contact by an externalId of 256 characters is refused naming /externalId', async () => {
    const res = await call('POST', '/api/events', { externalId: text(10_000), name: 'seen' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/externalId', message: 'externalId must be at most 255 characters' },
    ]);
  });
});
