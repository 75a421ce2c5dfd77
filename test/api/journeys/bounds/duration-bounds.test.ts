import type { JsonObject } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JourneyGraph } from '../../../../engine/graph/types.js';
import { createTestApp, type TestApp } from '../../../support/runtime.js';
import { graphWith, publishGraph } from '../bounds-support.js';

// A duration a journey author gives is at most 1,000 years (engine/sdk/README.md "Durations"):
// a longer one ended past the times PostgreSQL stores, and its step failed or retried forever.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const OVER = 'P365251D';
const AT_BOUND = ['P1000Y', 'P365250D'];

const publish = (graph: JourneyGraph) => publishGraph(t, graph);

const cases: [string, string, (d: string) => JsonObject, string[]?][] = [
  ['crm.tag', '/ttl', (ttl) => ({ action: 'add', tag: 'trial', ttl })],
  ['core.wait', '/duration', (duration) => ({ duration })],
  ['core.wait-for-event', '/timeout', (timeout) => ({ event: 'paid', timeout }), ['event', 'timeout']],
];

describe('durations in node params', () => {
  test.each(cases)('a %s past 1000 years is refused at publish, at %s', async (type, path, params, outputs) => {
    for (const over of [OVER, 'P99999Y', 'P9999999999D']) {
      const res = await publish(graphWith(type, params(over), outputs));
      expect(res.statusCode).toBe(422);
      expect(res.json().error.code).toBe('invalid_graph');
      expect(res.json().error.details).toEqual([
        { nodeId: 'n', path, message: `${path} must be at most 1000 years (P365250D)` },
      ]);
    }
  });

  test.each(cases)('a %s of exactly 1000 years is published', async (type, _path, params, outputs) => {
    for (const bound of AT_BOUND) expect((await publish(graphWith(type, params(bound), outputs))).statusCode).toBe(201);
  });

  test('a split’s test period past 1000 years is refused at /winner/after', async () => {
    const split = (after: string): JsonObject => ({
      variants: [
        { key: 'a', weight: 50 },
        { key: 'b', weight: 50 },
      ],
      winner: { after, metric: 'click' },
    });
    const res = await publish(graphWith('core.split', split('P99999Y'), ['a', 'b']));
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual([
      { nodeId: 'n', path: '/winner/after', message: 'the test period must be at most 1000 years (got "P99999Y")' },
    ]);
    expect((await publish(graphWith('core.split', split('P365250D'), ['a', 'b']))).statusCode).toBe(201);
  });

  test('a condition’s event window past 1000 years is refused at its within', async () => {
    const condition = (within: string): JsonObject => ({ filter: { event: 'purchase', op: 'count', gte: 1, within } });
    const res = await publish(graphWith('core.condition', condition('P99999Y'), ['yes', 'no']));
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual([
      { nodeId: 'n', path: '/filter/within', message: 'within must be at most 1000 years (P365250D)' },
    ]);
    expect((await publish(graphWith('core.condition', condition('P365250D'), ['yes', 'no']))).statusCode).toBe(201);
  });

  test('a crm.tag’s ttl of zero is refused at /ttl', async () => {
    const res = await publish(graphWith('crm.tag', { action: 'add', tag: 'trial', ttl: 'PT0S' }));
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual([
      {
        nodeId: 'n',
        path: '/ttl',
        message: `the ttl must be longer than zero (got "PT0S"); leave it out for the tag's own lifespan`,
      },
    ]);
    expect((await publish(graphWith('crm.tag', { action: 'add', tag: 'trial', ttl: 'PT1S' }))).statusCode).toBe(201);
  });

  test('an HTTP request’s timeout of zero is refused at /timeout; a longer one than 55 s is taken', async () => {
    const request = (timeout: string): JsonObject => ({ method: 'GET', url: 'https://example.com/', timeout });
    const res = await publish(graphWith('http.request', request('PT0S'), ['ok']));
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual([
      { nodeId: 'n', path: '/timeout', message: 'the timeout must be longer than zero (got "PT0S")' },
    ]);
    for (const timeout of ['PT55S', 'PT0.1S', 'PT5M'])
      expect((await publish(graphWith('http.request', request(timeout), ['ok']))).statusCode).toBe(201);
  });

  test('a segment’s interval past 1000 years is refused at /every', async () => {
    const graph: JourneyGraph = {
      nodes: [
        {
          id: 'n',
          type: 'core.segment',
          version: 1,
          params: { filter: { attr: 'plan', op: 'eq', value: 'pro' }, every: OVER },
          position: { x: 0, y: 0 },
        },
        { id: 'end', type: 'core.exit', version: 1, params: {}, position: { x: 0, y: 0 } },
      ],
      edges: [{ id: 'e', source: 'n', sourceHandle: 'out', target: 'end' }],
    };
    const res = await publish(graph);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual([
      { nodeId: 'n', path: '/every', message: '/every must be at most 1000 years (P365250D)' },
    ]);
  });

  test('a tag’s lifespan over HTTP keeps the same bound, in seconds', async () => {
    const contact = await t.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: t.auth,
      payload: { email: 'bound@example.com' },
    });
    const url = `/api/contacts/${contact.json().id}/tags`;
    const add = (ttlSeconds: number) =>
      t.app.inject({ method: 'POST', url, headers: t.auth, payload: { tag: 'trial', ttlSeconds } });
    expect((await add(31_557_600_000)).statusCode).toBe(200);
    const over = await add(31_557_600_001);
    expect(over.statusCode).toBe(400);
    expect(over.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: '/ttlSeconds' }] });
  });
});
