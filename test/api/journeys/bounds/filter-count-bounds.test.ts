import type { JsonObject } from '@waymark/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../../support/runtime.js';
import { graphWith, publishGraph } from '../bounds-support.js';

// A filter's counts are compared in SQL as integers (nodes/README.md "Durations in params"):
// a bound of 1.5 or 1e20 failed a condition's step on every retry.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const condition = (filter: JsonObject) => publishGraph(t, graphWith('core.condition', { filter }, ['yes', 'no']));
const refusal = (key: string, message: string) => [{ nodeId: 'n', path: `/filter/${key}`, message }];

describe('counts in filters', () => {
  test('an event count that is not a whole number is refused at its bound', async () => {
    const res = await condition({ event: 'purchase', op: 'count', gte: 1.5 });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('invalid_graph');
    expect(res.json().error.details).toEqual(refusal('gte', 'gte must be a whole number from 0 to 2147483647'));
  });

  test('an event count past a PostgreSQL integer is refused at its bound', async () => {
    const res = await condition({ event: 'purchase', op: 'count', lt: 1e20 });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual(refusal('lt', 'lt must be a whole number from 0 to 2147483647'));
  });

  test('a tag count below zero is refused at its bound', async () => {
    const res = await condition({ tag: 'vip', op: 'has', count: { gte: -1 } });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details).toEqual(
      refusal('count/gte', 'count.gte must be a whole number from 0 to 2147483647'),
    );
  });

  test('counts from 0 to 2147483647 publish', async () => {
    const filter: JsonObject = {
      all: [
        { event: 'purchase', op: 'count', gte: 0, lte: 2_147_483_647 },
        { tag: 'vip', op: 'has', count: { gt: 0, lt: 2_147_483_647 } },
      ],
    };
    expect((await condition(filter)).statusCode).toBe(201);
  });
});
