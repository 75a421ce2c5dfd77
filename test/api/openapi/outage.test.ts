import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
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

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Runs `during` while the file's database takes no connections (as during maintenance). */
async function whileClosed(during: () => Promise<void>) {
  const name = new URL(t.database.url).pathname.slice(1);
  await admin(`alter database "${name}" allow_connections false`);
  try {
    await admin(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}'`);
    await during();
  } finally {
    await admin(`alter database "${name}" allow_connections true`);
  }
}

const UUID = '00000000-0000-4000-8000-000000000000';

describe('while the database takes no connections', () => {
  test('every documented route answers as the document says, before the health watch notices', async () => {
    // What the failed query answers, not the health watch's own 503.
    await t.runtime.health.stop();
    const unavailable: string[] = [];
    const undocumented: string[] = [];
    await whileClosed(async () => {
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
