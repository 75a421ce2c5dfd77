import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openLiveFeed } from '../../support/live-client.js';
import { createTestApp, TEST_TOKEN, type TestApp } from '../../support/runtime.js';

// A misspelt filter (`?journeyid=`, `?jouneyId=`) was ignored, so the feed sent every journey's
// steps as if asked for them. server/README.md: a query parameter a route does not know is
// named, as on every other route.
interface WsClient {
  on(event: 'unexpected-response', listener: (req: unknown, res: IncomingMessage) => void): void;
  on(event: 'open', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  close(): void;
}
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string) => WsClient;

let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await createTestApp();
  base = (await t.app.listen({ port: 0, host: '127.0.0.1' })).replace('http', 'ws');
});
afterAll(() => t.close());

/** The answer to an upgrade the server refuses: its status and JSON body. */
function refusedUpgrade(query: string): Promise<{ status: number; body: { error: Record<string, unknown> } }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base}/api/live?${query}`);
    socket.on('open', () => {
      socket.close();
      reject(new Error('the feed opened'));
    });
    socket.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    socket.on('error', reject);
  });
}

const JOURNEY = '00000000-0000-4000-8000-000000000001';

describe('GET /api/live refuses a query parameter it does not know, naming it', () => {
  test('a misspelt journeyId answers 400 validation_failed at the upgrade', async () => {
    const { status, body } = await refusedUpgrade(`token=${TEST_TOKEN}&journeyid=${JOURNEY}`);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/journeyid', message: 'querystring/journeyid is not a known field' }],
    });
  });

  test('so does any other key beside a ticket', async () => {
    const ticket = (await t.app.inject({ method: 'POST', url: '/api/live/ticket', headers: t.auth })).json().ticket;
    const { status, body } = await refusedUpgrade(`ticket=${ticket}&status=failed`);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/status', message: 'querystring/status is not a known field' }],
    });
  });

  test('the parameters it knows still open the feed', async () => {
    const feed = await openLiveFeed(base, `token=${TEST_TOKEN}&journeyId=${JOURNEY}`);
    feed.socket.close();
  });
});

test('a wrong credential is refused first, whatever the query string holds', async () => {
  const res = await t.app.inject({ url: `/api/live?token=wrong-token-0123456789&journeyid=${JOURNEY}` });
  expect(res.statusCode).toBe(401);
});
