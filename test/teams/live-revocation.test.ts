import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openLiveFeed, type WsClient } from '../support/live-client.js';
import { createTestApp, TEST_TOKEN, type TestApp } from '../support/runtime.js';
import { defaultWorkspace, makeUser, signIn } from './support.js';

// A live socket outlives the request that opened it: what the API refuses from then on must
// also end the sockets it opened.
let t: TestApp;
let base: string;
let ws: string;
beforeAll(async () => {
  t = await createTestApp();
  ws = await defaultWorkspace(t.runtime.db);
  base = (await t.app.listen({ port: 0, host: '127.0.0.1' })).replace('http', 'ws');
});
afterAll(() => t.close());

const closed = (socket: WsClient) =>
  new Promise<{ code: number; at: number }>((resolve) =>
    socket.on('close', (code) => resolve({ code, at: Date.now() })),
  );

describe('an open live feed', () => {
  test('closes within two seconds once the token that opened it is revoked', async () => {
    const made = (
      await t.app.inject({
        method: 'POST',
        url: '/api/tokens',
        headers: t.auth,
        payload: { name: 'dashboard', scopes: ['journeys:read'] },
      })
    ).json();
    const { socket } = await openLiveFeed(base, `token=${made.token}`);
    const ended = closed(socket);
    const revokedAt = Date.now();
    expect((await t.app.inject({ method: 'DELETE', url: `/api/tokens/${made.id}`, headers: t.auth })).statusCode).toBe(
      204,
    );
    const { code, at } = await ended;
    expect(code).toBe(1008);
    expect(at - revokedAt).toBeLessThan(2000);
  });

  test('closes once the member who opened it is removed from the workspace', async () => {
    const userId = await makeUser(t.runtime.db, 'leaving@example.com', ws, 'viewer');
    const viewer = await signIn(t.app, 'leaving@example.com');
    const { ticket } = (
      await t.app.inject({ method: 'POST', url: '/api/live/ticket', headers: viewer.headers })
    ).json();
    const { socket } = await openLiveFeed(base, `ticket=${ticket}`);
    const ended = closed(socket);
    const removed = await t.app.inject({
      method: 'DELETE',
      url: `/api/workspaces/${ws}/members/${userId}`,
      headers: t.auth,
    });
    expect(removed.statusCode).toBe(204);
    expect((await ended).code).toBe(1008);
  });

  test('stays open while its token and membership last', async () => {
    const { socket } = await openLiveFeed(base, `token=${TEST_TOKEN}`);
    let closedEarly = false;
    socket.on('close', () => {
      closedEarly = true;
    });
    await new Promise((r) => setTimeout(r, 2500));
    expect(closedEarly).toBe(false);
    socket.close();
  });
});
