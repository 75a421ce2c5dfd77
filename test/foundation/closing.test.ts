import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { type Answer, answers } from '../support/raw-http.js';
import { createTestApp, TEST_TOKEN, type TestApp } from '../support/runtime.js';

// API.md "Start-up and operation": on SIGTERM the process stops taking requests. A request
// that still arrives (kept-alive, or pipelined behind one under way) gets the contract's 503
// `unavailable` with Retry-After, not fastify's own 503 body.

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

/**
 * Starts a POST /api/contacts on one connection and leaves its body unfinished; closes the
 * server; then finishes that body with `next` pipelined behind it. Answers what came back.
 */
async function pipelinedWhileClosing(next: string): Promise<Answer[]> {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as { port: number };
  const socket: Socket = connect(port, '127.0.0.1');
  let raw = '';
  socket.on('data', (chunk) => {
    raw += chunk;
  });
  const ended = new Promise((resolve) => socket.on('close', resolve));
  const body = '{"email":"under-way@example.com"}';
  socket.write(
    `POST /api/contacts HTTP/1.1\r\nHost: waymark\r\nAuthorization: Bearer ${TEST_TOKEN}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
  );
  await wait(200);
  const closed = t.app.close();
  await wait(100);
  socket.write(`${body.slice(10)}${next}`);
  await ended;
  await closed;
  return answers(raw);
}

describe('a request arriving while the server closes', () => {
  test('is 503 unavailable in the error shape, with Retry-After and Connection: close; the one under way finishes', async () => {
    const [first, second] = await pipelinedWhileClosing(
      `GET /api/journeys HTTP/1.1\r\nHost: waymark\r\nAuthorization: Bearer ${TEST_TOKEN}\r\n\r\n`,
    );
    expect(first?.status).toBe(201);
    expect(second?.status).toBe(503);
    expect(second?.headers['retry-after']).toBe('5');
    expect(second?.headers.connection).toBe('close');
    expect(second?.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(second?.body ?? '')).toEqual({
      error: { code: 'unavailable', message: 'the server is shutting down; nothing was accepted, retry later' },
    });
  });

  test('GET /healthz answers 503 not ok, in its own shape', async () => {
    const [, health] = await pipelinedWhileClosing('GET /healthz HTTP/1.1\r\nHost: waymark\r\n\r\n');
    expect(health?.status).toBe(503);
    expect(JSON.parse(health?.body ?? '')).toEqual({ ok: false, reason: 'the server is shutting down' });
  });
});
