import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { whileDatabaseClosed } from '../../support/database.js';
import { type AnswerChecking, createAnswerCheckingApp } from './support.js';

// API.md "Start-up and operation": while the database is unreachable, routes that need it
// answer 503 `unavailable`. Each answer then is still one the document lists for its route.
let t: AnswerChecking;
let operations: [string, string][];
beforeAll(async () => {
  t = await createAnswerCheckingApp();
  const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
    paths: Record<string, Record<string, unknown>>;
  };
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => [method.toUpperCase(), path] as [string, string]),
  );
});
afterAll(() => t?.close());

const UUID = '00000000-0000-4000-8000-000000000000';

describe('while the database takes no connections', () => {
  test('every documented route answers as the document says, before the health watch notices', async () => {
    // What the failed query answers, not the health watch's own 503.
    await t.runtime.health.stop();
    const unavailable: string[] = [];
    const undocumented: string[] = [];
    await whileDatabaseClosed(t.database.url, async () => {
      for (const [method, path] of operations) {
        if (path === '/api/live' || path === '/healthz') continue;
        const url = path.replace(/\{[^}]+\}/g, UUID);
        const body = ['POST', 'PUT', 'PATCH'].includes(method) ? { payload: {} } : {};
        try {
          const res = await t.call({ method, url, headers: t.auth, ...body });
          if (res.statusCode === 503) unavailable.push(`${method} ${path}`);
        } catch (mismatch) {
          undocumented.push(String((mismatch as Error).message).split('\n')[0] as string);
        }
      }
    });
    expect(undocumented).toEqual([]);
    expect(unavailable.length).toBeGreaterThan(100);
  });
});
