import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openLiveFeed, type WsClient } from '../../support/live-client.js';
import { createTestApp, TEST_TOKEN, type TestApp } from '../../support/runtime.js';
import { type Browser, changePassword, defaultWorkspace, makeUser, PASSWORD, signIn } from '../support.js';

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

/** A new token of the workspace that may read journeys (and so open the feed). */
async function readerToken(name: string): Promise<{ id: string; token: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/tokens',
    headers: t.auth,
    payload: { name, scopes: ['journeys:read'] },
  });
  expect(res.statusCode).toBe(201);
  return res.json();
}

describe('an open live feed', () => {
  test('closes within two seconds once the token that opened it is revoked', async () => {
    const made = await readerToken('dashboard');
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

/** A socket opened with a ticket taken under this browser's session. */
async function sessionFeed(browser: Browser): Promise<WsClient> {
  const res = await t.app.inject({ method: 'POST', url: '/api/live/ticket', headers: browser.headers });
  expect(res.statusCode).toBe(201);
  return (await openLiveFeed(base, `ticket=${res.json().ticket}`)).socket;
}

/** Whether a socket closes within `ms`: false when it is still open then (and it is closed by us). */
function closesWithin(socket: WsClient, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve(false);
      socket.close();
    }, ms);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

const signOut = (browser: Browser) =>
  t.app.inject({ method: 'POST', url: '/api/auth/sign-out', headers: browser.headers });

// teams.md: a session ends at sign-out, at a password change (the user's other sessions) or
// reset, and when it expires; a browser's socket ends with the session its ticket was taken under.
describe("a browser's live feed", () => {
  test("closes once its session signs out; the same user's other session keeps its own", async () => {
    await makeUser(t.runtime.db, 'two-tabs@example.com', ws, 'viewer');
    const laptop = await signIn(t.app, 'two-tabs@example.com');
    const phone = await signIn(t.app, 'two-tabs@example.com');
    const [leaving, staying] = [await sessionFeed(laptop), await sessionFeed(phone)];
    const ended = closed(leaving);
    const stays = closesWithin(staying, 3000);
    const signedOutAt = Date.now();
    expect((await signOut(laptop)).statusCode).toBe(204);
    const { code, at } = await ended;
    expect(code).toBe(1008);
    expect(at - signedOutAt).toBeLessThan(2000);
    expect(await stays).toBe(false);
  });

  test("after a password change, the user's other sessions' sockets close and the changing one's stays", async () => {
    await makeUser(t.runtime.db, 'changing@example.com', ws, 'editor');
    const [changing, other, third] = [
      await signIn(t.app, 'changing@example.com'),
      await signIn(t.app, 'changing@example.com'),
      await signIn(t.app, 'changing@example.com'),
    ];
    const [kept, first, second] = [await sessionFeed(changing), await sessionFeed(other), await sessionFeed(third)];
    const ended = [closed(first), closed(second)];
    const stays = closesWithin(kept, 3000);
    const changed = await changePassword(t.app, changing, PASSWORD, 'a brand new password');
    expect(changed.statusCode).toBe(204);
    expect((await Promise.all(ended)).map((e) => e.code)).toEqual([1008, 1008]);
    expect(await stays).toBe(false);
  });

  test("a token's socket is unaffected by sign-outs", async () => {
    await makeUser(t.runtime.db, 'beside-a-token@example.com', ws, 'viewer');
    const browser = await signIn(t.app, 'beside-a-token@example.com');
    const made = await readerToken('wallboard');
    // Through a ticket as the editor's would, and with the token itself.
    const ticket = (
      await t.app.inject({
        method: 'POST',
        url: '/api/live/ticket',
        headers: { authorization: `Bearer ${made.token}` },
      })
    ).json().ticket;
    const fromTicket = (await openLiveFeed(base, `ticket=${ticket}`)).socket;
    const fromToken = (await openLiveFeed(base, `token=${made.token}`)).socket;
    const session = await sessionFeed(browser);
    const ended = closed(session);
    const stay = [closesWithin(fromTicket, 3000), closesWithin(fromToken, 3000)];
    expect((await signOut(browser)).statusCode).toBe(204);
    expect((await ended).code).toBe(1008);
    expect(await Promise.all(stay)).toEqual([false, false]);
  });

  test('closes once its session expires unused', async () => {
    await makeUser(t.runtime.db, 'idle@example.com', ws, 'viewer');
    const browser = await signIn(t.app, 'idle@example.com');
    const socket = await sessionFeed(browser);
    const ended = closed(socket);
    await sql`update sessions set last_used_at = now() - interval '8 days' where user_id = ${browser.userId}`.execute(
      t.runtime.db,
    );
    expect((await ended).code).toBe(1008);
  });

  test('does not open with a ticket whose session signed out before it was used', async () => {
    await makeUser(t.runtime.db, 'late@example.com', ws, 'viewer');
    const browser = await signIn(t.app, 'late@example.com');
    const res = await t.app.inject({ method: 'POST', url: '/api/live/ticket', headers: browser.headers });
    expect(Object.keys(res.json()).sort()).toEqual(['expiresAt', 'ticket']);
    expect((await signOut(browser)).statusCode).toBe(204);
    await expect(openLiveFeed(base, `ticket=${res.json().ticket}`)).rejects.toThrow(/401/);
  });
});
