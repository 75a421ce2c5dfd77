import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Answer, answers, rawExchange } from '../support/raw-http.js';
import { createTestApp, TEST_TOKEN, type TestApp } from '../support/runtime.js';

// API.md "Errors": every error is `{ error: { code, message } }`, and "Auth": every answer says
// nosniff. Requests Node itself refuses, before any route or hook, are no exception.

let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as { port: number }).port;
});
afterAll(() => t.close());

const auth = `Authorization: Bearer ${TEST_TOKEN}\r\n`;

async function send(request: string): Promise<Answer> {
  const [answer] = answers(await rawExchange(port, request));
  if (!answer) throw new Error('no answer');
  return answer;
}

function expectOurError(answer: Answer, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  const body = JSON.parse(answer.body);
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  expect(body.error.message).toEqual(expect.any(String));
}

describe('a request Node refuses before routing', () => {
  test.each([
    ['a backslash in the path', `GET \\api/tokens HTTP/1.1\r\nHost: w\r\n${auth}\r\n`],
    ['a space in the path', `GET /api/jour neys HTTP/1.1\r\nHost: w\r\n${auth}\r\n`],
    ['a header name with a space', `GET /api/journeys HTTP/1.1\r\nHost: w\r\nBad Header: y\r\n${auth}\r\n`],
    [
      'a control character in a header',
      `GET /api/journeys HTTP/1.1\r\nHost: w\r\nAuthorization: Bearer a\x01b\r\n\r\n`,
    ],
    ['a NUL in a header', `GET /api/journeys HTTP/1.1\r\nHost: w\r\nX-A: a\x00b\r\n${auth}\r\n`],
    ['an unknown HTTP version', `GET /api/journeys HTTP/9.9\r\nHost: w\r\n${auth}\r\n`],
    [
      'both Content-Length and Transfer-Encoding',
      `POST /api/contacts HTTP/1.1\r\nHost: w\r\n${auth}Content-Type: application/json\r\n` +
        'Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
    ],
  ])('with %s is 400 validation_failed in the error shape, with our headers', async (_why, request) => {
    const answer = await send(request);
    expectOurError(answer, 400, 'validation_failed');
    expect(JSON.parse(answer.body).error.message).toMatch(/^the request is not well-formed HTTP/);
  });

  test('with headers over the limit is 431 headers_too_large in the error shape, with our headers', async () => {
    const answer = await send(`GET /api/journeys HTTP/1.1\r\nHost: w\r\n${auth}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expectOurError(answer, 431, 'headers_too_large');
  });
});

describe('an HTTP/1.1 request without a Host header', () => {
  test('is 400 validation_failed in the error shape, with our headers, before auth', async () => {
    const answer = await send('GET /api/journeys HTTP/1.1\r\n\r\n');
    expectOurError(answer, 400, 'validation_failed');
    expect(JSON.parse(answer.body).error.message).toBe('an HTTP/1.1 request needs a Host header');
  });

  test('an HTTP/1.0 one needs none', async () => {
    const answer = await send(`GET /api/journeys HTTP/1.0\r\n${auth}\r\n`);
    expect(answer.status).toBe(200);
  });
});
