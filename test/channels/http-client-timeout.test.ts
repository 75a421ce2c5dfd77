import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, open, openSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHttpClient } from '../../engine/http/client.js';
import type { Runtime } from '../../engine/runtime.js';

/**
 * A request's `timeout` is one budget for all it waits on: the DNS lookup, and every hop of a
 * chain of redirects. Before, the lookup came before the timer started, and each hop had a
 * timer of its own.
 */

let server: Server;
let port: number;
beforeAll(async () => {
  // /hop/N answers after 250 ms with a redirect to /hop/N+1, until /hop/4 answers 200.
  server = createServer((req, res) => {
    const n = Number(req.url?.split('/')[2] ?? 0);
    if (req.url === '/now' || n >= 4) return res.writeHead(200).end('here');
    setTimeout(() => res.writeHead(302, { location: `/hop/${n + 1}` }).end(), 250);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const client = () =>
  createHttpClient({ runtime: { config: { httpAllowPrivate: true }, httpStandIns: {} } as unknown as Runtime });

/**
 * Holds every thread of libuv's pool, where `dns.lookup` runs getaddrinfo, opening a FIFO no
 * one writes to: a lookup then waits as it does behind a slow resolver, for real. `release`
 * opens their writing ends, and the pool goes on.
 */
function holdThreadPool(): { release(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-pool-'));
  const size = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const fifos = Array.from({ length: size }, (_, i) => join(dir, `held-${i}`));
  for (const fifo of fifos) {
    execFileSync('mkfifo', [fifo]);
    open(fifo, 'r', (_error, fd) => fd !== undefined && closeSync(fd));
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      for (const fifo of fifos) closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      rmSync(dir, { recursive: true });
    },
  };
}

describe('the timeout of an outgoing request', () => {
  test('holds the DNS lookup: a lookup kept waiting fails the request at the timeout, retryable', async () => {
    const pool = holdThreadPool();
    // Without the lookup under the timeout, the request would wait for this and then succeed.
    const later = setTimeout(() => pool.release(), 3000);
    // The pool's threads take a moment to block on their FIFOs.
    await new Promise((r) => setTimeout(r, 50));
    const began = performance.now();
    try {
      const call = client().request({ method: 'GET', url: `http://localhost:${port}/now`, timeoutMs: 300 });
      await expect(call).rejects.toMatchObject({
        retryable: true,
        stepCode: 'http.timeout',
        message: 'localhost did not resolve within 300 ms',
      });
      expect(performance.now() - began).toBeLessThan(1500);
    } finally {
      clearTimeout(later);
      pool.release();
    }
  });

  test('holds a chain of redirects: hops each well within it fail together past it', async () => {
    const began = performance.now();
    const call = client().request({
      method: 'GET',
      url: `http://127.0.0.1:${port}/hop/0`,
      timeoutMs: 600,
      maxRedirects: 5,
    });
    await expect(call).rejects.toMatchObject({
      retryable: true,
      stepCode: 'http.timeout',
      message: `127.0.0.1:${port} did not answer within 600 ms`,
    });
    expect(performance.now() - began).toBeLessThan(900);
  });

  test('a chain that ends within it is answered', async () => {
    const res = await client().request({
      method: 'GET',
      url: `http://127.0.0.1:${port}/hop/2`,
      timeoutMs: 2000,
      maxRedirects: 5,
    });
    expect(res).toMatchObject({ status: 200, body: 'here', url: `http://127.0.0.1:${port}/hop/4` });
  });
});
