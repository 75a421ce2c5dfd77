import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  const lines = [
    'email,country,score',
    ...Array.from({ length: 45 }, (_, i) => `s${i}@example.com,${i % 3 === 0 ? 'FI' : 'SE'},${i}`),
  ];
  await t.app.inject({
    method: 'POST',
    url: '/api/contacts/import',
    headers: { ...t.auth, 'content-type': 'text/csv' },
    payload: lines.join('\n'),
  });
});
afterAll(() => t.close());

const segment = (filter: object, extra = '') =>
  t.app.inject({
    method: 'GET',
    url: `/api/contacts?segment=${encodeURIComponent(JSON.stringify(filter))}${extra}`,
    headers: t.auth,
  });

describe('GET /api/contacts?segment=', () => {
  test('pages through every match exactly once and counts them all', async () => {
    const filter = {
      all: [
        { attr: 'country', op: 'eq', value: 'SE' },
        { attr: 'score', op: 'gte', value: 10 },
      ],
    };
    const seen: string[] = [];
    let cursor = '';
    for (;;) {
      const page = (await segment(filter, `&limit=7${cursor}`)).json();
      expect(page.total).toBe(24);
      seen.push(...page.contacts.map((c: { email: string }) => c.email));
      if (!page.nextCursor) break;
      cursor = `&cursor=${page.nextCursor}`;
    }
    expect(seen).toHaveLength(24);
    expect(new Set(seen).size).toBe(24);
  });

  test('compares numbers numerically', async () => {
    const res = (await segment({ attr: 'score', op: 'lt', value: 9 })).json();
    expect(res.total).toBe(9);
  });

  test('answers 400 with the JSON pointer of a bad clause', async () => {
    const res = await segment({
      all: [
        { attr: 'country', op: 'eq', value: 'FI' },
        { tag: 'vip', op: 'sometimes' },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe('/all/1');
  });

  test('refuses a limit above 1000', async () => {
    expect((await segment({ attr: 'country', op: 'exists' }, '&limit=1001')).statusCode).toBe(400);
  });

  test('the segment query uses the attributes index', async () => {
    await t.runtime.pool.query('set enable_seqscan = off');
    const { rows } = await t.runtime.pool.query(
      `explain select id from contacts c where c.attributes @> '{"country":"FI"}'::jsonb`,
    );
    expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/contacts_attributes_gin/);
  });
});
