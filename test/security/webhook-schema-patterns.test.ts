import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e, n, testPackage } from '../engine/support.js';
import { api, publishJourney } from '../failures/support.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

// A core.webhook `schema` is written by a journey's editor and run on what callers send. Its
// patterns run in linear time: before, `^(a+)+$` against 25 `a`s and a `!` held the process's
// event loop for seconds (minutes at 30 characters), every request and step of it waiting.
const SECRET = 'a-webhook-secret-of-some-length';
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
  t.runtime.registry.add(testPackage);
});
afterAll(() => t?.close());

const graph = (pattern: string) => ({
  nodes: [
    n('hook', 'core.webhook', {
      secret: SECRET,
      schema: { type: 'object', properties: { code: { type: 'string', pattern } } },
    }),
    n('a', 'tst.step'),
  ],
  edges: [e('hook', 'a')],
});

const call = (journeyId: string, payload: object) =>
  t.app.inject({
    method: 'POST',
    url: `/hooks/${journeyId}/hook`,
    headers: { 'content-type': 'application/json', 'x-waymark-secret': SECRET },
    payload: JSON.stringify(payload),
  });

describe('the patterns of a webhook schema', () => {
  test('a pattern that backtracks catastrophically answers a hostile text at once', async () => {
    const { journeyId } = await publishJourney(t, graph('^(a+)+$'));
    const started = Date.now();
    const refused = await call(journeyId, { code: `${'a'.repeat(25)}!` });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error).toMatchObject({
      code: 'schema_mismatch',
      details: [{ path: '/code', message: 'payload/code must match pattern "^(a+)+$"' }],
    });
    expect((await call(journeyId, { code: 'aaaa' })).statusCode).toBe(202);
  });

  test('JavaScript spellings still match as before: \\u escapes, classes, unanchored search', async () => {
    const { journeyId } = await publishJourney(t, graph('[\\u00e0-\\u00ff]\\d{2}\\b'));
    expect((await call(journeyId, { code: 'x é42 y' })).statusCode).toBe(202);
    expect((await call(journeyId, { code: 'e42' })).statusCode).toBe(422);
  });

  test('a pattern RE2 cannot run is refused at publish, naming it', async () => {
    const created = await api(t, {
      method: 'POST',
      url: '/api/journeys',
      payload: { name: 'lookahead', graph: graph('^(?=.*\\d).+$') },
    });
    const published = await api(t, { method: 'POST', url: `/api/journeys/${created.body.id}/publish` });
    expect(published.status).toBe(422);
    expect(published.body.error.code).toBe('invalid_graph');
    expect(published.body.error.details).toEqual([
      expect.objectContaining({
        nodeId: 'hook',
        path: '/schema',
        message: expect.stringContaining('"^(?=.*\\\\d).+$" cannot be run in linear time'),
      }),
    ]);
  });
});
