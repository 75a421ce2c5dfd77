import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { defaultWorkspace, makeUser } from '../support.js';

// A known email's answer must not wait for the mail server: its delay would tell which
// addresses have accounts (the answer is the same 202 {} for any email).

let t: TestApp;
let silent: Server;
const sockets: Socket[] = [];
beforeAll(async () => {
  // A mail server that accepts connections and never greets.
  silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as { port: number }).port;
  t = await createTestApp({ SMTP_URL: `smtp://127.0.0.1:${port}`, PUBLIC_URL: 'http://waymark.test' });
  await makeUser(t.runtime.db, 'known@example.com', await defaultWorkspace(t.runtime.db), 'viewer');
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
  await t?.close();
});

test('a reset for a known email is answered while its mail is still on its way', async () => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/auth/password-reset',
    payload: { email: 'known@example.com' },
  });
  expect(res.statusCode).toBe(202);
  expect(res.json()).toEqual({});
});
