import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHttpClient } from '../../engine/http/client.js';
import type { Runtime } from '../../engine/runtime.js';

/**
 * Where outgoing HTTP may go. The attacker is a journey author, or a payload whose values an
 * `http.request` URL template renders: no form of writing an address may reach the server's
 * own loopback, the private network or link-local metadata. Refused before any connection,
 * with `http.address-refused`, not tried (a connection's failure says the target was tried).
 */

let listener: Server;
let port: number;
const hits: string[] = [];
beforeAll(async () => {
  listener = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(302, { location: '/followed' }).end();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as AddressInfo).port;
});
afterAll(async () => {
  listener.closeAllConnections();
  await new Promise((resolve) => listener.close(resolve));
});

const client = (httpAllowPrivate: boolean) =>
  createHttpClient({ runtime: { config: { httpAllowPrivate }, httpStandIns: {} } as unknown as Runtime });
const get = (url: string, allowPrivate = false) =>
  client(allowPrivate).request({ method: 'GET', url, headers: {}, timeoutMs: 2000 });

describe('an outgoing request to a loopback or private address, however written', () => {
  const forms = () => [
    `http://127.0.0.1:${port}/`,
    `http://2130706433:${port}/`,
    `http://0177.0.0.1:${port}/`,
    `http://0x7f.1:${port}/`,
    `http://localhost:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://[::ffff:0:127.0.0.1]:${port}/`,
    `http://[::127.0.0.1]:${port}/`,
    `http://[::a9fe:a9fe]/`,
    `http://[::10.0.0.1]/`,
    `http://[64:ff9b::127.0.0.1]:${port}/`,
    `http://[::]:${port}/`,
    `http://0.0.0.0:${port}/`,
    'http://169.254.169.254/latest/meta-data/',
  ];

  test('is refused before connecting, with http.address-refused', async () => {
    for (const url of forms())
      await expect(get(url), url).rejects.toMatchObject({ retryable: false, stepCode: 'http.address-refused' });
    expect(hits).toEqual([]);
  });

  test('a URL of another scheme is refused', async () => {
    for (const url of ['file:///etc/passwd', 'data:text/plain,hi', `gopher://127.0.0.1:${port}/`, 'ftp://example.com/'])
      await expect(get(url), url).rejects.toMatchObject({ stepCode: 'http.invalid-url' });
  });

  test('a redirect is answered as it is, never followed', async () => {
    const res = await get(`http://127.0.0.1:${port}/first`, true);
    expect(res.status).toBe(302);
    expect(hits).toEqual(['/first']);
  });
});
