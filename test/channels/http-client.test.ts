import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHttpClient } from '../../engine/http/client.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { stepScope } from './scope.js';

let server: Server;
let base: string;
const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
let allowed: TestRuntime;
let guarded: TestRuntime;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      if (req.url === '/json') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      if (req.url === '/bom')
        return res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end('\uFEFF{"ok":true}');
      if (req.url === '/big')
        return res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(2 * 1024 * 1024));
      if (req.url === '/slow') return setTimeout(() => res.end('late'), 2000);
      res.writeHead(503).end('down');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  allowed = await createTestRuntime({ WAYMARK_HTTP_ALLOW_PRIVATE: 'true' });
  guarded = await createTestRuntime();
});
afterAll(async () => {
  await allowed.close();
  await guarded.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('outgoing HTTP with WAYMARK_HTTP_ALLOW_PRIVATE=true', () => {
  test('parses a JSON answer and sends the step’s idempotency key', async () => {
    const scope = await stepScope(allowed.runtime, { idempotencyKey: 'step-key-1' });
    const res = await createHttpClient(scope).request({ method: 'POST', url: `${base}/json`, body: '{"a":1}' });
    expect(res).toMatchObject({ status: 200, body: { ok: true } });
    const last = seen[seen.length - 1];
    expect(last?.headers['idempotency-key']).toBe('step-key-1');
    expect(last?.body).toBe('{"a":1}');
  });

  test('parses a JSON answer that starts with a byte order mark', async () => {
    const res = await createHttpClient(await stepScope(allowed.runtime)).request({ method: 'GET', url: `${base}/bom` });
    expect(res).toMatchObject({ status: 200, body: { ok: true } });
  });

  test('caps the body at 1 MiB and says it was cut', async () => {
    const res = await createHttpClient(await stepScope(allowed.runtime)).request({ method: 'GET', url: `${base}/big` });
    expect(String(res.body).length).toBe(1024 * 1024);
    expect(res.truncated).toBe(true);
    const whole = await createHttpClient(await stepScope(allowed.runtime)).request({
      method: 'GET',
      url: `${base}/json`,
    });
    expect(whole.truncated).toBeUndefined();
  });

  test('a 5xx is an answer, not an error', async () => {
    const res = await createHttpClient(await stepScope(allowed.runtime)).request({
      method: 'GET',
      url: `${base}/down`,
    });
    expect(res.status).toBe(503);
  });

  test('a timeout is retryable', async () => {
    const call = createHttpClient(await stepScope(allowed.runtime)).request({
      method: 'GET',
      url: `${base}/slow`,
      timeoutMs: 200,
    });
    await expect(call).rejects.toMatchObject({ retryable: true });
  });

  // The body's framing is the client's: a Content-Length a journey gives (its templates may
  // render a longer body) cut it, and its rest reached the endpoint as a second request on the
  // kept-alive connection, one the journey never made.
  test('a Content-Length or Transfer-Encoding in the headers never changes how the body is sent', async () => {
    const body = '{"note":"longer than the length given"}';
    const given: Record<string, string>[] = [{ 'Content-Length': '1' }, { 'transfer-encoding': 'gzip' }];
    for (const headers of given) {
      const before = seen.length;
      const res = await createHttpClient(await stepScope(allowed.runtime)).request({
        method: 'POST',
        url: `${base}/json`,
        headers,
        body,
      });
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
      expect(seen.slice(before).map((s) => s.body)).toEqual([body]);
    }
  });

  test('a Content-Length in the headers of a call without a body leaves the endpoint waiting for nothing', async () => {
    const res = await createHttpClient(await stepScope(allowed.runtime)).request({
      method: 'GET',
      url: `${base}/json`,
      headers: { 'content-length': '10' },
      timeoutMs: 1000,
    });
    expect(res.status).toBe(200);
  });

  test('a refused connection is retryable', async () => {
    const call = createHttpClient(await stepScope(allowed.runtime)).request({
      method: 'GET',
      url: 'http://127.0.0.1:1/',
    });
    await expect(call).rejects.toMatchObject({ retryable: true });
  });
});

describe('outgoing HTTP by default', () => {
  const refused = [
    '127.0.0.1',
    'localhost',
    '10.0.0.5',
    '192.168.1.1',
    '169.254.169.254',
    '0.0.0.0',
    '[::1]',
    '[::]',
    '[::ffff:127.0.0.1]',
    '[fd00::1]',
  ];
  for (const host of refused) {
    test(`refuses ${host} without retry`, async () => {
      const call = createHttpClient(await stepScope(guarded.runtime)).request({
        method: 'GET',
        url: `http://${host}:8080/`,
      });
      await expect(call).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/^refused/) });
    });
  }

  test('never reaches the local server', async () => {
    const before = seen.length;
    await createHttpClient(await stepScope(guarded.runtime))
      .request({ method: 'GET', url: `${base}/json` })
      .catch(() => {});
    expect(seen.length).toBe(before);
  });

  test('refuses schemes other than http and https', async () => {
    const call = createHttpClient(await stepScope(guarded.runtime)).request({
      method: 'GET',
      url: 'file:///etc/passwd',
    });
    await expect(call).rejects.toMatchObject({ retryable: false });
  });
});
