import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type HttpEndpoint, httpEndpoint } from './http-endpoint.js';

/** A request as an endpoint received it. */
interface Received {
  at: string;
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let endpoint: HttpEndpoint;
/** A second endpoint: another origin (its own port) than the first. */
let other: Server;
let otherBase: string;
const received: Received[] = [];

/** Records each request, then answers as `answer` says, its body read first. */
const recording =
  (origin: () => string, answer: (at: string) => { status: number; location?: string; json?: string }) =>
  (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const at = `${origin()}${req.url}`;
      received.push({ at, method: req.method ?? '', headers: req.headers, body });
      const { status, location, json } = answer(req.url ?? '');
      res
        .writeHead(status, {
          ...(location ? { location } : {}),
          ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
        })
        .end(json ?? '');
    });
  };

beforeAll(async () => {
  other = createServer(
    recording(
      () => otherBase,
      () => ({ status: 200, json: '{"at":"other"}' }),
    ),
  );
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  endpoint = await httpEndpoint(
    recording(
      () => endpoint.base,
      (path) => {
        if (path === '/moved') return { status: 302, location: '/final' };
        if (path === '/see-other') return { status: 303, location: '/final' };
        if (path === '/temporary') return { status: 307, location: '/final' };
        if (path === '/away') return { status: 302, location: `${otherBase}/landing` };
        if (path === '/loop') return { status: 302, location: '/loop' };
        if (path === '/to-missing') return { status: 301, location: '/missing' };
        if (path === '/missing') return { status: 404, json: '{"error":"gone"}' };
        if (path === '/no-location') return { status: 302 };
        if (path === '/to-file') return { status: 301, location: 'file:///etc/passwd' };
        return { status: 200, json: '{"at":"final"}' };
      },
    ),
  );
});
afterAll(async () => {
  await endpoint?.close();
  other?.closeAllConnections();
  await new Promise((r) => other?.close(r));
});

/** What the endpoints received during `work`, by URL. */
async function receivedDuring<T>(work: () => Promise<T>): Promise<{ result: T; got: Received[] }> {
  const before = received.length;
  const result = await work();
  return { result, got: received.slice(before) };
}

const post = (path: string, extra: Record<string, unknown> = {}) => ({
  method: 'POST',
  url: `${endpoint.base}${path}`,
  body: '{"order":42}',
  ...extra,
});

describe('http.request answered by a redirect', () => {
  test('follows a 302 on the same host and passes the final answer on, with the URL that gave it', async () => {
    const { result, got } = await receivedDuring(() => endpoint.runAgainst('/moved'));
    expect(got.map((r) => r.at)).toEqual([`${endpoint.base}/moved`, `${endpoint.base}/final`]);
    expect(result.took).toEqual(['ok']);
    expect(result.call.output).toMatchObject({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: { at: 'final' },
      url: `${endpoint.base}/final`,
    });
  });

  test('a 303 answering a POST is followed by a GET without the body or its Content-Type', async () => {
    const { result, got } = await receivedDuring(() => endpoint.runParams(post('/see-other')));
    expect(result.took).toEqual(['ok']);
    expect(got.map((r) => [r.method, r.body])).toEqual([
      ['POST', '{"order":42}'],
      ['GET', ''],
    ]);
    expect(got[1]?.headers['content-type']).toBeUndefined();
  });

  test('a 307 answering a POST is followed by the same POST with its body', async () => {
    const { got } = await receivedDuring(() => endpoint.runParams(post('/temporary')));
    expect(got.map((r) => [r.method, r.body, r.headers['content-type']])).toEqual([
      ['POST', '{"order":42}', 'application/json'],
      ['POST', '{"order":42}', 'application/json'],
    ]);
  });

  test('a redirect to another origin drops Authorization and Cookie, and keeps the Idempotency-Key', async () => {
    const headers = { Authorization: 'Bearer s3cret', Cookie: 'session=abc', 'X-Trace-Me': 'yes' };
    const { result, got } = await receivedDuring(() =>
      endpoint.runParams({ method: 'GET', url: `${endpoint.base}/away`, headers }),
    );
    expect(result.call.output).toMatchObject({ status: 200, body: { at: 'other' }, url: `${otherBase}/landing` });
    const [first, second] = got;
    expect(first?.headers).toMatchObject({ authorization: 'Bearer s3cret', cookie: 'session=abc' });
    expect(second?.at).toBe(`${otherBase}/landing`);
    expect(second?.headers.authorization).toBeUndefined();
    expect(second?.headers.cookie).toBeUndefined();
    expect(second?.headers['x-trace-me']).toBe('yes');
    expect(second?.headers['idempotency-key']).toEqual(expect.any(String));
    expect(second?.headers['idempotency-key']).toBe(first?.headers['idempotency-key']);
  });

  test('a redirect loop fails the step after 5 redirects, at once and not retried', async () => {
    const { result, got } = await receivedDuring(() => endpoint.runAgainst('/loop'));
    expect(got).toHaveLength(6); // the request and 5 redirects followed, one attempt
    expect(result.took).toEqual(['handled']);
    expect(result.call.output.error).toMatchObject({
      code: 'http.too-many-redirects',
      message: expect.stringContaining('too many redirects (5)'),
      retryable: false,
      attempts: 1,
    });
  });

  test('a redirect to a URL of another scheme than http or https fails the step at once', async () => {
    const { result } = await receivedDuring(() => endpoint.runAgainst('/to-file'));
    expect(result.took).toEqual(['handled']);
    expect(result.call.output.error).toMatchObject({
      code: 'http.invalid-url',
      message: `refused: ${endpoint.base}/to-file redirected to a file: URL`,
      attempts: 1,
    });
  });

  test('with followRedirects false, the 3xx is the answer and takes ok', async () => {
    const { result, got } = await receivedDuring(() =>
      endpoint.runParams({ method: 'GET', url: `${endpoint.base}/moved`, followRedirects: false }),
    );
    expect(got.map((r) => r.at)).toEqual([`${endpoint.base}/moved`]);
    expect(result.took).toEqual(['ok']);
    expect(result.call.output).toMatchObject({ status: 302, headers: { location: '/final' } });
    expect(result.call.output.url).toBeUndefined();
  });

  test('a 3xx without a Location is the answer', async () => {
    const { result } = await receivedDuring(() => endpoint.runAgainst('/no-location'));
    expect(result.took).toEqual(['ok']);
    expect(result.call.output.status).toBe(302);
  });

  test('a 4xx after a redirect fails at once with its status, naming where it came from', async () => {
    const { result, got } = await receivedDuring(() => endpoint.runAgainst('/to-missing'));
    expect(got).toHaveLength(2);
    expect(result.took).toEqual(['handled']);
    expect(result.call.output).toMatchObject({
      status: 404,
      body: { error: 'gone' },
      url: `${endpoint.base}/missing`,
      error: {
        code: 'http.status-404',
        message: `GET ${endpoint.base}/to-missing (redirected to ${endpoint.base}/missing) answered 404`,
        attempts: 1,
      },
    });
  });
});
