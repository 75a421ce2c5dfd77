import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../server/app.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';

// API.md "The editor": `GET /` and the editor's pages serve it; "Errors": every other unknown
// route answers a JSON 404, GET included.

const editorDir = fileURLToPath(new URL('../../editor/', import.meta.url));
let base: TestRuntime;
let app: FastifyInstance;

beforeAll(async () => {
  if (!existsSync(`${editorDir}dist/index.html`))
    await build({ configFile: `${editorDir}vite.config.ts`, logLevel: 'error' });
  base = await createTestRuntime();
  app = await buildApp(base.runtime, { serveEditor: true });
}, 120_000);
afterAll(async () => {
  await app.close();
  await base.close();
});

describe('paths outside the API', () => {
  test.each([
    '/',
    '/journeys',
    '/journeys/01a24b3c-0000-7000-8000-000000000000',
    '/templates/welcome',
    '/forms',
    '/forms/signup',
    '/contacts',
    '/credentials',
    '/setup/abc',
  ])('the editor’s page %s answers the editor', async (url) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
  });

  test.each(['/nope', '/healthz/', '/journeys/a/b', '/favicon.png'])('%s answers the JSON 404', async (url) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });
});
