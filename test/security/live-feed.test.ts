import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../server/app.js';
import { createTestApp, TEST_TOKEN, type TestApp } from '../support/runtime.js';

/** The part of the `ws` client these tests use (the package ships no types). */
interface WsClient {
  on(event: 'open', listener: () => void): void;
  on(event: 'unexpected-response', listener: (req: unknown, res: { statusCode: number }) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  close(): void;
}
type WsOptions = { headers?: Record<string, string>; origin?: string };
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string, options?: WsOptions) => WsClient;

let t: TestApp;
let app: FastifyInstance;
let base: string;
let http: string;
const logged: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  // A second app over the same runtime that logs everything, to read what it writes.
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logged.push(String(chunk));
      done();
    },
  });
  app = await buildApp({ ...t.runtime, logger: pino({ level: 'trace' }, sink) }, { serveEditor: false });
  http = await app.listen({ port: 0, host: '127.0.0.1' });
  base = http.replace('http', 'ws');
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

/** Opens the feed; resolves 'open' or the HTTP status that refused the upgrade. */
function open(path: string, options: WsOptions = {}): Promise<'open' | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base}${path}`, options);
    socket.on('open', () => {
      socket.close();
      resolve('open');
    });
    socket.on('unexpected-response', (_req, res) => resolve(res.statusCode));
    socket.on('error', reject);
  });
}

async function ticket(): Promise<{ ticket: string; expiresAt: string }> {
  const res = await app.inject({ method: 'POST', url: '/api/live/ticket', headers: t.auth });
  expect(res.statusCode).toBe(201);
  return res.json();
}

describe('the live feed', () => {
  test('refuses an encoded path without a credential', async () => {
    expect(await open('/%61pi/live')).toBe(401);
    expect(await open('/%61pi/live?journeyId=00000000-0000-0000-0000-000000000000')).toBe(401);
  });

  test('opens once with a ticket, which is valid for 60 seconds', async () => {
    const { ticket: value, expiresAt } = await ticket();
    const seconds = (Date.parse(expiresAt) - Date.now()) / 1000;
    expect(seconds).toBeGreaterThan(50);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(await open(`/api/live?ticket=${value}`)).toBe('open');
    expect(await open(`/api/live?ticket=${value}`)).toBe(401);
  });

  test('refuses an expired ticket', async () => {
    const { ticket: value } = await ticket();
    await t.runtime.db
      .updateTable('live_tickets')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .execute();
    expect(await open(`/api/live?ticket=${value}`)).toBe(401);
  });

  test('refuses a ticket or URL token sent from another site, and keeps the ticket for its owner', async () => {
    const { ticket: value } = await ticket();
    expect(await open(`/api/live?ticket=${value}`, { origin: 'https://evil.example' })).toBe(403);
    expect(await open(`/api/live?token=${TEST_TOKEN}`, { origin: 'https://evil.example' })).toBe(403);
    expect(await open(`/api/live?ticket=${value}`, { origin: http })).toBe('open');
  });

  test('takes the token in the Authorization header from any origin', async () => {
    const headers = { authorization: `Bearer ${TEST_TOKEN}` };
    expect(await open('/api/live', { headers, origin: 'https://tool.example' })).toBe('open');
  });

  test('still takes ?token= from clients that are not browsers, and never logs it', async () => {
    expect(await open(`/api/live?token=${TEST_TOKEN}`)).toBe('open');
    expect(await open('/api/live?token=wrong-token-0123456789')).toBe(401);
    expect(logged.join('')).not.toContain(TEST_TOKEN);
    expect(logged.join('')).not.toContain('wrong-token-0123456789');
  });

  test('a ticket dies with the token that took it', async () => {
    const made = (
      await app.inject({ method: 'POST', url: '/api/tokens', headers: t.auth, payload: { name: 'browser' } })
    ).json();
    const res = await app.inject({
      method: 'POST',
      url: '/api/live/ticket',
      headers: { authorization: `Bearer ${made.token}` },
    });
    await app.inject({ method: 'DELETE', url: `/api/tokens/${made.id}`, headers: t.auth });
    expect(await open(`/api/live?ticket=${res.json().ticket}`)).toBe(401);
  });

  test('a ticket needs a token to be made', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/live/ticket' });
    expect(res.statusCode).toBe(401);
    expect(await t.runtime.db.selectFrom('live_tickets').selectAll().execute()).toEqual([]);
  });
});
