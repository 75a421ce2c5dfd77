import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestApp } from '../support/runtime.js';
import { experimentsApp, publish, splitGraph } from './support.js';

// API.md "Analytics", the query: what a client may ask for and how a bad ask is answered.
let t: TestApp;
let journeyId: string;
beforeAll(async () => {
  t = await experimentsApp();
  const graph = splitGraph([
    { key: 'a', weight: 50 },
    { key: 'b', weight: 50 },
  ]);
  journeyId = (await publish(t.runtime.db, graph, {})).journeyId;
});
afterAll(async () => {
  await t?.close();
});

const analytics = (query: string) =>
  t.app.inject({ method: 'GET', url: `/api/journeys/${journeyId}/analytics?${query}`, headers: t.auth });

describe('the analytics query', () => {
  test('a bucket that is neither hour nor day is refused at /bucket, whatever its name', async () => {
    for (const bucket of ['week', 'toString', 'constructor', '__proto__', 'valueOf', 'hasOwnProperty']) {
      const res = await analytics(`bucket=${bucket}`);
      expect(res.statusCode, bucket).toBe(400);
      expect(res.json().error, bucket).toMatchObject({ code: 'validation_failed', details: [{ path: '/bucket' }] });
    }
  });

  test('from and to are ISO 8601 times; other text is refused at its field', async () => {
    for (const [query, path] of [
      ['to=1', '/to'],
      ['to=Dec 1 2026', '/to'],
      ['from=12345', '/from'],
      ['from=2026-12-01 10:00', '/from'],
    ] as const) {
      const res = await analytics(query.replace(/ /g, '%20'));
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error, query).toMatchObject({ code: 'validation_failed', details: [{ path }] });
    }
  });

  test('a date or time of day that does not exist is refused at its field, not moved to a later one', async () => {
    for (const [query, path] of [
      ['from=2026-02-30&to=2026-03-03', '/from'],
      ['from=2026-02-29&to=2026-03-03', '/from'],
      ['from=2026-04-01&to=2026-04-31T10:00:00Z', '/to'],
      ['from=2026-13-01', '/from'],
      ['from=2026-00-10', '/from'],
      ['from=2026-12-00', '/from'],
      ['from=2026-12-01T24:00', '/from'],
      ['from=2026-12-01T10:60', '/from'],
      ['from=2026-12-01T10:00:60Z', '/from'],
      ['to=2026-12-01T10:00:00%2B24:00', '/to'],
      ['to=2026-12-01T10:00:00%2B05:60', '/to'],
    ] as const) {
      const res = await analytics(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error, query).toMatchObject({ code: 'validation_failed', details: [{ path }] });
    }
    const leap = await analytics('from=2028-02-29&to=2028-03-01&bucket=day');
    expect(leap.statusCode).toBe(200);
    expect(leap.json()).toMatchObject({ from: '2028-02-29T00:00:00.000Z', to: '2028-03-01T00:00:00.000Z' });
  });

  test('a time without a zone is UTC, and the range is rounded out to whole buckets', async () => {
    const res = await analytics('from=2026-12-01T10:30&to=2026-12-01T12:15:00.5&bucket=hour');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ from: '2026-12-01T10:00:00.000Z', to: '2026-12-01T13:00:00.000Z' });
    const offset = await analytics('from=2026-12-01&to=2026-12-02T00:00:00%2B02:00&bucket=day');
    expect(offset.json()).toMatchObject({ from: '2026-12-01T00:00:00.000Z', to: '2026-12-02T00:00:00.000Z' });
  });
});

describe('the analytics answer', () => {
  test('lists every node and output of the version, zeros included, whatever their names', async () => {
    const graph = splitGraph([
      { key: 'toString', weight: 50 },
      { key: '__proto__', weight: 50 },
    ]);
    graph.nodes = graph.nodes.map((node) => (node.id === 'ab' ? { ...node, id: 'constructor' } : node));
    graph.edges = graph.edges.map((edge) => ({
      ...edge,
      ...(edge.source === 'ab' ? { source: 'constructor' } : {}),
      ...(edge.target === 'ab' ? { target: 'constructor' } : {}),
    }));
    const { journeyId: id } = await publish(t.runtime.db, graph, {});
    const res = await t.app.inject({ url: `/api/journeys/${id}/analytics?bucket=day`, headers: t.auth });
    expect(res.statusCode).toBe(200);
    const zero = { entered: 0, completed: 0, failed: 0, waiting: 0, converted: 0 };
    const { nodes, outputs, series } = res.json();
    expect(Object.keys(nodes).sort()).toEqual(['after-__proto__', 'after-toString', 'constructor', 't']);
    expect(nodes.constructor).toEqual(zero);
    expect(outputs.constructor).toEqual({
      toString: { taken: 0, converted: 0 },
      ['__proto__']: { taken: 0, converted: 0 },
    });
    expect(Object.keys(outputs.constructor)).toEqual(['toString', '__proto__']);
    expect(Object.keys(series.nodes).sort()).toEqual(Object.keys(nodes).sort());
  });
});
