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
    const inside = req.url === '/to-loopback' ? `http://127.0.0.1:${port}/inside` : null;
    res.writeHead(302, { location: inside ?? '/followed' }).end();
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

describe('a redirect followed to a loopback or private address', () => {
  // The first hop goes to a stand-in for a public origin (the test's own listener), as an
  // API on the internet would redirect a request into the private network.
  const PUBLIC = 'http://api.example.com';
  const viaPublic = () =>
    createHttpClient({
      runtime: { config: { httpAllowPrivate: false }, httpStandIns: { [PUBLIC]: `http://127.0.0.1:${port}` } },
    } as unknown as { runtime: Runtime });

  test('is refused before connecting, with http.address-refused naming the host and who sent it there', async () => {
    const before = hits.length;
    const call = viaPublic().request({ method: 'GET', url: `${PUBLIC}/to-loopback`, timeoutMs: 2000, maxRedirects: 5 });
    await expect(call).rejects.toMatchObject({
      retryable: false,
      stepCode: 'http.address-refused',
      message: expect.stringMatching(
        /^refused: 127\.0\.0\.1 resolves to 127\.0\.0\.1, a loopback address .*; http:\/\/api\.example\.com\/to-loopback redirected there$/,
      ),
    });
    expect(hits.slice(before)).toEqual(['/to-loopback']);
  });

  test('a redirect within the public origin is followed', async () => {
    const before = hits.length;
    const call = viaPublic().request({ method: 'GET', url: `${PUBLIC}/first`, timeoutMs: 2000, maxRedirects: 2 });
    await expect(call).rejects.toMatchObject({ stepCode: 'http.too-many-redirects' });
    expect(hits.slice(before)).toEqual(['/first', '/followed', '/followed']);
  });
});
