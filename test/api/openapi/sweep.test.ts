import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type AnswerChecking, createAnswerCheckingApp } from './support.js';

// A client generated from the document handles the answers the document lists; this calls
// every documented route with what a client gets wrong (an unknown or malformed id, a body
// that is no object, an unknown query parameter, an overlong path segment, no token) and
// fails on any answer its entry does not list.
let t: AnswerChecking;
let operations: [string, string][];
beforeAll(async () => {
  t = await createAnswerCheckingApp({ PUBLIC_URL: 'https://w.example.com' });
  const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
    paths: Record<string, Record<string, unknown>>;
  };
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => [method.toUpperCase(), path] as [string, string]),
  );
});
afterAll(() => t?.close());

// The live feed is a websocket; the package search asks the public npm registry.
const SKIPPED = new Set(['/api/live', '/api/packages/search']);
const UUID = '00000000-0000-4000-8000-000000000000';
const json = { 'content-type': 'application/json' };

interface Mistake {
  segment: string;
  query?: string;
  headers: () => Record<string, string>;
  body?: string | object;
}

const MISTAKES: Record<string, Mistake> = {
  'an unknown id and an empty object': { segment: UUID, headers: () => t.auth, body: {} },
  'an id that is no UUID': { segment: 'x', headers: () => t.auth, body: {} },
  'a JSON array for a body': { segment: UUID, headers: () => ({ ...t.auth, ...json }), body: '[]' },
  'a JSON null for a body': { segment: UUID, headers: () => ({ ...t.auth, ...json }), body: 'null' },
  'an unknown query parameter and a negative limit': { segment: 'x', query: '?zzz=1&limit=-1', headers: () => t.auth },
  'a path segment of 5,000 characters': { segment: 'y'.repeat(5000), headers: () => t.auth },
};

async function undocumentedAnswers(mistake: Mistake): Promise<string[]> {
  const undocumented: string[] = [];
  for (const [method, path] of operations) {
    if (SKIPPED.has(path)) continue;
    const url = path.replace(/\{[^}]+\}/g, mistake.segment) + (mistake.query ?? '');
    const body =
      mistake.body !== undefined && ['POST', 'PUT', 'PATCH'].includes(method) ? { payload: mistake.body } : {};
    try {
      await t.call({ method, url, headers: mistake.headers(), ...body });
    } catch (mismatch) {
      undocumented.push(String((mismatch as Error).message).split('\n')[0] as string);
    }
  }
  return undocumented;
}

describe('every documented route answers a client’s mistakes as its entry says', () => {
  test.each(Object.keys(MISTAKES))('%s', async (name) => {
    expect(await undocumentedAnswers(MISTAKES[name] as Mistake)).toEqual([]);
  });

  // Last: past 20 failed authentications from this address every route answers 429.
  test('no token', async () => {
    expect(await undocumentedAnswers({ segment: 'x', headers: () => ({}) })).toEqual([]);
  });
});
