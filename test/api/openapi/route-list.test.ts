import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// API.md "OpenAPI": the document lists every route, so a client generated from it reaches all
// of them and meets no answer it was not told of.
let t: TestApp;
let doc: {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: { in: string }[]; requestBody?: object; security?: unknown[]; responses: Record<string, unknown> }
    >
  >;
};
beforeAll(async () => {
  t = await createTestApp();
  doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
});
afterAll(() => t?.close());

// The page that shows the document, and the metrics a scraper reads (contracts/operations.md:
// "not an /api route and is not in the OpenAPI document").
const UNDOCUMENTED = /^\/docs(\/|$)|^\/metrics$/;

/** A path with its parameters unnamed, so `/f/:id` and `/f/{id}` compare equal. */
const shape = (path: string) => path.replace(/\{[^}]+\}/g, '{}').replace(/:[^/]+/g, '{}');

/**
 * Every method and path the app routes, read from fastify's route tree: each line is a node
 * whose text continues its parent's path (`├── /api/journeys (POST, GET, HEAD)`, then
 * `│   └── /:id (GET, …)`), four characters of indent a level.
 */
function appRoutes(app: TestApp['app']): string[] {
  const tree = app.printRoutes({ commonPrefix: false });
  const parents: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    const path = (parents[depth - 1] ?? '') + (match[2] ?? '');
    parents[depth] = path;
    parents.length = depth + 1;
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) routes.push(`${method} ${shape(path)}`);
  }
  return routes;
}

const documented = () =>
  Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => `${method.toUpperCase()} ${shape(path)}`),
  );

describe('the document and the app list the same routes', () => {
  test('the route tree is read whole (a route of every depth is found)', () => {
    const routes = appRoutes(t.app);
    for (const route of [
      'GET /healthz',
      'POST /api/journeys',
      'POST /api/journeys/{}/retry/{}/cancel',
      'OPTIONS /f/{}',
    ])
      expect(routes).toContain(route);
  });

  test('every route the app answers is in the document', () => {
    // HEAD answers as its GET does (fastify adds it to every GET route); the document lists
    // only a HEAD route of its own (below).
    const routes = appRoutes(t.app).filter((r) => !r.startsWith('HEAD ') && !UNDOCUMENTED.test(r.split(' ')[1] ?? ''));
    const listed = documented();
    expect(routes.filter((r) => !listed.includes(r))).toEqual([]);
  });

  test('a HEAD route of its own is in the document: a confirmation link’s 405', () => {
    expect(Object.keys(doc.paths['/f/confirm/{token}']?.head?.responses ?? {})).toContain('405');
  });

  test('every route in the document is one the app answers', () => {
    const routes = appRoutes(t.app);
    expect(documented().filter((r) => !routes.includes(r))).toEqual([]);
  });
});

describe('each route lists the error answers it can give', () => {
  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, path, op })),
    );

  test('a route behind a token or session: 401, 403, 404 for the workspace, 429 and 503', () => {
    // contracts/teams.md: 401, then 404 for the workspace, then 403.
    const guarded = operations().filter(({ path, op }) => path.startsWith('/api/') && op.security?.length !== 0);
    expect(guarded.length).toBeGreaterThan(100);
    for (const { route, op } of guarded)
      expect(Object.keys(op.responses), route).toEqual(expect.arrayContaining(['401', '403', '404', '429', '503']));
  });

  test('a route with path parameters, a query or a body: 400', () => {
    for (const { route, op } of operations())
      if (op.parameters?.length || op.requestBody) expect(Object.keys(op.responses), route).toContain('400');
  });

  test.each([
    ['post', '/api/contacts/import', ['text/csv', 'application/x-ndjson']],
    ['post', '/api/packages', ['application/json', 'application/gzip']],
    ['post', '/hooks/inbound-email', ['message/rfc822']],
    ['post', '/f/{id}', ['application/x-www-form-urlencoded', 'application/json']],
    ['post', '/unsubscribe/{token}', ['application/x-www-form-urlencoded']],
    ['post', '/hooks/providers/{provider}', ['*/*']],
    ['post', '/hooks/{journeyId}/{nodeId}', ['application/json', '*/*']],
    ['put', '/api/settings/retention', ['application/json']],
  ])('%s %s says which bodies it takes', (method, path, types) => {
    const body = doc.paths[path]?.[method]?.requestBody as { content?: object } | undefined;
    expect(Object.keys(body?.content ?? {})).toEqual(types);
  });

  test('a route that reads a body: 413', () => {
    for (const { route, op } of operations())
      if (op.requestBody) expect(Object.keys(op.responses), route).toContain('413');
  });
});
