import { compileErrors, validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type AnswerChecking, createAnswerCheckingApp } from './support.js';

// The parser's own document type; ours is checked by the parser rather than by tsc.
const asDocument = (doc: unknown) => doc as Parameters<typeof validate>[0];

let t: AnswerChecking;
let doc: {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>>;
};
beforeAll(async () => {
  // A route of this test's own whose schema misses what it answers: the answer check must see it.
  t = await createAnswerCheckingApp({}, (app) =>
    app.get(
      '/api/lying',
      { schema: { response: { 200: { type: 'object', properties: { name: { type: 'string' } } } } } },
      async () => ({ name: null, extra: 1 }),
    ),
  );
  doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
});
afterAll(() => t?.close());

// Every route API.md names (the test-run route is another part's), and the subscriptions route.
const ROUTES = `
get /healthz
get /api/openapi.json
get /api/nodes
get /api/packages
post /api/journeys
get /api/journeys
get /api/journeys/{id}
patch /api/journeys/{id}
delete /api/journeys/{id}
put /api/journeys/{id}/draft
post /api/journeys/{id}/validate
post /api/journeys/{id}/publish
get /api/journeys/{id}/versions/{version}
get /api/journeys/{id}/diff
post /api/journeys/{id}/pause
post /api/journeys/{id}/resume
get /api/journeys/{id}/stats
post /hooks/{journeyId}/{nodeId}
post /api/contacts
get /api/contacts
get /api/contacts/{id}
delete /api/contacts/{id}
post /api/contacts/import
post /api/contacts/{id}/tags
delete /api/contacts/{id}/tags/{tag}
post /api/contacts/{id}/lists
delete /api/contacts/{id}/lists/{list}
put /api/contacts/{id}/consent
put /api/contacts/{id}/subscriptions/{category}
get /api/contacts/{id}/export
get /api/tags
put /api/tags/{tag}
get /api/lists
post /api/events
get /api/events
get /api/runs
get /api/runs/{id}
post /api/runs/{id}/cancel
post /api/credentials
get /api/credentials
put /api/credentials/{id}
delete /api/credentials/{id}
get /api/leads
patch /api/leads/{id}
get /api/settings/contact-rules
put /api/settings/contact-rules
get /api/messages
get /api/messages/{id}
get /t/c/{token}
get /t/o/{token}
get /unsubscribe/{token}
post /unsubscribe/{token}
get /api/live`
  .trim()
  .split('\n')
  .map((line) => line.split(' ') as [string, string]);

describe('GET /api/openapi.json', () => {
  test('is a valid OpenAPI 3 document by the official schema', async () => {
    expect(doc.openapi).toMatch(/^3\.(0\.3|1\.\d+)$/);
    const result = await validate(asDocument(structuredClone(doc)));
    expect(result.valid ? '' : compileErrors(result)).toBe('');
  });

  test('the validation catches a broken document', async () => {
    const broken = structuredClone(doc) as { paths: Record<string, Record<string, object>> };
    broken.paths['/api/nodes'] = { get: { responses: { 200: { content: 'not a media map' } } } };
    expect((await validate(asDocument(broken))).valid).toBe(false);
  });

  test.each(ROUTES)('lists %s %s with a schema for its answer', (method, path) => {
    const responses = doc.paths[path]?.[method]?.responses;
    expect(responses, `${method} ${path}`).toBeDefined();
    const success = Object.entries(responses ?? {}).filter(([status]) => /^[123]/.test(status));
    expect(success.length).toBeGreaterThan(0);
    for (const [status, answer] of success)
      if (!['101', '204', '302'].includes(status)) expect(answer.content, `${method} ${path} ${status}`).toBeDefined();
  });

  test.each(ROUTES.filter(([, path]) => path.startsWith('/api/') && path !== '/api/openapi.json'))(
    'lists 401 and 503 for %s %s',
    (method, path) => {
      expect(Object.keys(doc.paths[path]?.[method]?.responses ?? {})).toEqual(expect.arrayContaining(['401', '503']));
    },
  );

  test('lists every error answer with the error schema', () => {
    // /healthz answers 503 { ok: false, reason } by contract, form pages answer people
    // with HTML pages (contracts/content.md), and a HEAD answer has no body.
    const { '/healthz': _health, ...paths } = doc.paths;
    for (const [path, operations] of Object.entries(paths))
      for (const [method, { responses }] of Object.entries(operations))
        for (const [status, answer] of Object.entries(method === 'head' ? {} : responses))
          if (/^[45]/.test(status) && !(path.startsWith('/f/') && JSON.stringify(answer.content).includes('text/html')))
            expect(JSON.stringify(answer.content), `${method} ${path} ${status}`).toContain('"error"');
  });
});

// API.md "Auth": tracking, unsubscribe and form routes allow 600 requests a minute per address.
describe('the visitor routes’ rate limit', () => {
  test.each([
    ['get', '/t/c/{token}'],
    ['get', '/t/o/{token}'],
    ['get', '/unsubscribe/{token}'],
    ['post', '/unsubscribe/{token}'],
  ])('%s %s lists 429 with Retry-After', (method, path) => {
    const answer = doc.paths[path]?.[method]?.responses['429'] as { content?: object; headers?: object } | undefined;
    expect(JSON.stringify(answer?.content)).toContain('"error"');
    expect(answer?.headers).toHaveProperty('Retry-After');
  });

  test.each([
    ['post', '/hooks/inbound-email'],
    ['post', '/hooks/providers/{provider}'],
  ])('%s %s lists the 429 of too many failed authentications', (method, path) => {
    expect(doc.paths[path]?.[method]?.responses).toHaveProperty('429');
  });

  test('past 600 a minute, a tracking pixel answers the 429 the document lists', async () => {
    for (let i = 0; i < 600; i++) await t.app.inject({ method: 'GET', url: '/t/o/unknown-token' });
    const res = await t.call({ method: 'GET', url: '/t/o/unknown-token' });
    expect(res.statusCode).toBe(429);
  });
});

describe('the answer check', () => {
  test('fails a route whose schema drops or reshapes what it answers', async () => {
    await expect(t.call({ method: 'GET', url: '/api/lying', headers: t.auth })).rejects.toThrow(/dropped or reshaped/);
  });

  test('fails a route the document does not list', async () => {
    await expect(t.call({ method: 'GET', url: '/no/such/route' })).rejects.toThrow(/not in the document/);
  });
});

describe('/docs', () => {
  test('serves a page to browse the document, without a token', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('swagger-ui');
    // The page's scripts and styles load too, or the browser shows a blank page.
    const assets = [...page.body.matchAll(/(?:src|href)="(\/docs\/[^"]+)"/g)].map((m) => String(m[1]));
    expect(assets.length).toBeGreaterThan(2);
    for (const url of assets) expect((await t.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    const spec = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(spec.statusCode).toBe(200);
    expect(Object.keys(spec.json().paths)).toEqual(Object.keys(doc.paths));
  });
});
