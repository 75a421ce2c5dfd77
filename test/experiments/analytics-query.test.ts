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
});
