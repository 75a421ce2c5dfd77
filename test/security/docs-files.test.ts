import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';

// The API docs' static files (swagger-ui, under /docs/static/) are all there is under that
// path: a path that climbs out of it gets the JSON 404 of any unknown path, and nothing else.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const CLIMBS = [
  '/docs/static/..%5c..%5cpackage.json',
  '/docs/static/....//package.json',
  '/docs/static/..%2f..%2fpackage.json',
  '/docs/static/%2e%2e%2f%2e%2e%2fpackage.json',
  '/docs/static/x/..%2f..%2f..%2fserver/app.ts',
];

describe('a path under /docs/static/ that climbs out', () => {
  test.each(CLIMBS)('%s answers 404 not_found, in JSON', async (url) => {
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: `no route GET ${url}` } });
  });

  // A client that does not resolve `..` itself (inject, like browsers, does) sends them as they are.
  test('sent unresolved over a real connection, `..` and `%2e%2e` also answer 404 not_found', async () => {
    const base = new URL(await t.app.listen({ port: 0, host: '127.0.0.1' }));
    for (const path of [
      '/docs/static/../../package.json',
      '/docs/static/%2e%2e/%2e%2e/package.json',
      '/docs/static/..',
    ]) {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: base.hostname, port: base.port, path }, (res) => {
          let body = '';
          res.on('data', (chunk) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(status, path).toBe(404);
      expect(JSON.parse(body).error.code, path).toBe('not_found');
    }
  });

  test('the docs’ own files are still served', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/static/index.css' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/css/);
  });
});
