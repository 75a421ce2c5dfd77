import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const importBody = (contentType: string, payload: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/contacts/import',
    headers: { ...t.auth, 'content-type': contentType },
    payload,
  });

const storedAttributes = async (email: string) =>
  (await t.runtime.pool.query('select attributes from contacts where email = $1', [email])).rows[0]?.attributes;

// server/README: a key `__proto__`, or `prototype` under `constructor`, anywhere in a body is
// refused; an NDJSON line is a POST /api/contacts body, so such a line fails as that call does.
describe('import rows holding a key that reaches a prototype', () => {
  test('an NDJSON line with __proto__ or constructor.prototype fails alone, naming the key', async () => {
    const ndjson = [
      JSON.stringify({ email: 'p1@x.com' }),
      '{"email":"p2@x.com","attributes":{"__proto__":{"isAdmin":true},"ok":1}}',
      '{"email":"p3@x.com","attributes":{"constructor":{"prototype":{"y":1}}}}',
      JSON.stringify({ email: 'p4@x.com', attributes: { constructor: 'c', prototype: 'p' } }),
    ].join('\n');
    const res = await importBody('application/x-ndjson', ndjson);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      imported: 2,
      failedCount: 2,
      failed: [
        { row: 2, field: 'attributes/__proto__', error: 'attributes/__proto__ is not an allowed key' },
        {
          row: 3,
          field: 'attributes/constructor/prototype',
          error: 'attributes/constructor/prototype is not an allowed key',
        },
      ],
    });
    expect(await storedAttributes('p2@x.com')).toBeUndefined();
    expect(await storedAttributes('p3@x.com')).toBeUndefined();
    expect(await storedAttributes('p4@x.com')).toEqual({ constructor: 'c', prototype: 'p' });
  });

  test('a CSV row with a value in a __proto__ column fails alone, naming the column', async () => {
    const csv = ['email,__proto__,constructor', 'c1@x.com,evil,c', 'c2@x.com,,c'].join('\n');
    const res = await importBody('text/csv', csv);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      imported: 1,
      failedCount: 1,
      failed: [{ row: 1, field: '__proto__', error: '__proto__ is not an allowed key' }],
    });
    expect(await storedAttributes('c1@x.com')).toBeUndefined();
    // An empty cell sets nothing, so that row sets no such key.
    expect(await storedAttributes('c2@x.com')).toEqual({ constructor: 'c' });
  });
});
