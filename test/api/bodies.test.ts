import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';

// API.md "Errors": how a request's body is read — its content type, an empty body, and JSON
// that is valid but could reach an object's prototype.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const send = (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, type: string | null, payload: string) =>
  t.app.inject({ method, url, headers: { ...t.auth, ...(type ? { 'content-type': type } : {}) }, payload });

const newContact = async () =>
  (
    await t.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: t.auth,
      payload: { email: `${randomUUID()}@example.com` },
    })
  ).json().id as string;

describe('a body of a type the route does not take', () => {
  test.each([
    ['text/plain', 'PATCH', `/api/leads/${randomUUID()}`, '{"status":"won"}'],
    ['text/plain', 'POST', '/api/credentials', '{"name":"x"}'],
    ['application/xml', 'POST', '/api/credentials', '<credential/>'],
  ] as const)('%s to %s %s answers 415 naming the type and JSON', async (type, method, url, payload) => {
    const res = await send(method, url, type, payload);
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toEqual({
      code: 'unsupported_media_type',
      message: `a body of Content-Type ${type} is not taken here: send application/json`,
    });
  });

  test('a body without a Content-Type answers 415 too', async () => {
    const res = await send('POST', '/api/credentials', null, 'name=x');
    expect(res.statusCode).toBe(415);
    expect(res.json().error.message).toBe('a body without a Content-Type is not taken here: send application/json');
  });

  test('a route that takes other types names them: the import, and JSON to it', async () => {
    const res = await send('POST', '/api/contacts/import', 'application/json', '{}');
    expect(res.statusCode).toBe(415);
    expect(res.json().error.message).toBe(
      'a body of Content-Type application/json is not taken here: send text/csv or application/x-ndjson',
    );
  });

  test('the import’s types are not taken by the other contact routes', async () => {
    const res = await send('PUT', `/api/contacts/${await newContact()}/consent`, 'text/csv', 'channel\nemail');
    expect(res.statusCode).toBe(415);
    expect(res.json().error.message).toBe('a body of Content-Type text/csv is not taken here: send application/json');
  });
});

describe('an empty body with a JSON Content-Type', () => {
  test('is no body: routes that take none answer as without it', async () => {
    const contact = await newContact();
    await t.app.inject({
      method: 'POST',
      url: `/api/contacts/${contact}/tags`,
      headers: t.auth,
      payload: { tags: ['vip'] },
    });
    const calls = [
      ['POST', `/api/runs/${randomUUID()}/cancel`, 404],
      ['DELETE', `/api/contacts/${contact}/tags/vip`, 204],
      ['DELETE', `/api/contacts/${contact}`, 204],
    ] as const;
    for (const [method, url, status] of calls) {
      const res = await send(method, url, 'application/json', '');
      expect(res.statusCode, `${method} ${url}`).toBe(status);
    }
  });

  test('is no body where one is needed: the schema names it', async () => {
    const res = await send('POST', '/api/contacts', 'application/json', '');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
  });

  test('while a body that is not JSON is still 400 invalid_json', async () => {
    const res = await send('POST', `/api/runs/${randomUUID()}/cancel`, 'application/json', 'nope');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_json');
  });
});

describe('a JSON body that starts with a UTF-8 byte order mark', () => {
  // RFC 8259 §8.1: a parser may ignore it; Windows and .NET senders write one.
  test('is read as the JSON after it', async () => {
    const email = `${randomUUID()}@example.com`;
    const res = await send('POST', '/api/contacts', 'application/json', `\uFEFF{"email":"${email}"}`);
    expect(res.statusCode).toBe(201);
    expect(res.json().email).toBe(email);
  });
});

describe('a key that could reach an object’s prototype', () => {
  test('is valid JSON, refused as validation_failed naming the key', async () => {
    const res = await send(
      'POST',
      '/api/contacts',
      'application/json',
      '{"email":"proto@example.com","attributes":{"__proto__":{"x":1}}}',
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      code: 'validation_failed',
      message: "the request's body is invalid",
      details: [{ path: '/attributes/__proto__', message: 'body/attributes/__proto__ is not an allowed key' }],
    });
  });

  test('however it is spelt, and constructor.prototype too, each named', async () => {
    const body = '{"email":"proto@example.com","attributes":{"\\u005f_proto__":1,"constructor":{"prototype":{}}}}';
    const res = await send('POST', '/api/contacts', 'application/json', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.map((d: { path: string }) => d.path)).toEqual([
      '/attributes/__proto__',
      '/attributes/constructor/prototype',
    ]);
  });
});

describe('a body over its route’s limit', () => {
  test('answers 413 naming the limit', async () => {
    const payload = JSON.stringify({
      email: 'big@example.com',
      name: 'visit',
      properties: { pad: 'x'.repeat(1024 * 1024) },
    });
    const res = await send('POST', '/api/events', 'application/json', payload);
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toEqual({
      code: 'payload_too_large',
      message: "the body is over this route's limit of 1 MiB",
    });
  });
});
