import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

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

  test('answers 50 contacts a page when no limit is given', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/contacts/import',
      headers: { ...t.auth, 'content-type': 'text/csv' },
      payload: ['email,batch', ...Array.from({ length: 51 }, (_, i) => `d${i}@example.com,default-limit`)].join('\n'),
    });
    const page = (await segment({ attr: 'batch', op: 'eq', value: 'default-limit' })).json();
    expect(page.contacts).toHaveLength(50);
    expect(page.total).toBe(51);
    expect(page.nextCursor).not.toBeNull();
  });

  test('compares numbers numerically', async () => {
    const res = (await segment({ attr: 'score', op: 'lt', value: 9 })).json();
    expect(res.total).toBe(9);
  });

  test('answers 400 with the JSON pointer of a bad clause’s faulty key', async () => {
    const res = await segment({
      all: [
        { attr: 'country', op: 'eq', value: 'FI' },
        { tag: 'vip', op: 'sometimes' },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe('/all/1/op');
  });

  test('refuses a limit above 1000', async () => {
    expect((await segment({ attr: 'country', op: 'exists' }, '&limit=1001')).statusCode).toBe(400);
  });

  test('each contact of a page shows its own tags, lists, undeliverable address and merges', async () => {
    const post = async (url: string, payload: object) => {
      const res = await t.app.inject({ method: 'POST', url, headers: t.auth, payload });
      expect(res.statusCode).toBeLessThan(300);
      return res.json();
    };
    const make = (email: string) => post('/api/contacts', { email, attributes: { group: 'parts' } });
    const [tagged, listed, bounced, survivor] = await Promise.all(
      ['tagged@example.com', 'listed@example.com', 'bounced@example.com', 'survivor@example.com'].map(make),
    );
    const mergedAway = await post('/api/contacts', { email: 'old@example.com' });
    await post(`/api/contacts/${tagged.id}/tags`, { tag: 'vip' });
    await post(`/api/contacts/${listed.id}/lists`, { list: 'newsletter' });
    await post(`/api/contacts/${survivor.id}/merge`, { from: mergedAway.id });
    // What a hard bounce leaves (test/inbound/bounces.test.ts goes through the provider's webhook).
    await t.runtime.pool.query(
      `insert into email_suppressions (address, contact_id, reason, status, workspace_id)
       select 'bounced@example.com', $1, 'bounced', '5.1.1', workspace_id from contacts where id = $1`,
      [bounced.id],
    );

    const page = (await segment({ attr: 'group', op: 'eq', value: 'parts' })).json();
    const byEmail = new Map(page.contacts.map((c: { email: string }) => [c.email, c]));
    expect(byEmail.size).toBe(4);
    for (const [email, contact] of byEmail) {
      expect(contact).toMatchObject({
        tags: email === 'tagged@example.com' ? [expect.objectContaining({ tag: 'vip', active: true })] : [],
        lists: email === 'listed@example.com' ? [expect.objectContaining({ list: 'newsletter' })] : [],
        emailUndeliverable:
          email === 'bounced@example.com' ? expect.objectContaining({ reason: 'bounced', status: '5.1.1' }) : null,
        mergedFrom:
          email === 'survivor@example.com'
            ? [expect.objectContaining({ id: mergedAway.id, email: 'old@example.com' })]
            : [],
      });
    }
  });

  test('the segment query uses the attributes index', async () => {
    await t.runtime.pool.query('set enable_seqscan = off');
    const { rows } = await t.runtime.pool.query(
      `explain select id from contacts c where c.attributes @> '{"country":"FI"}'::jsonb`,
    );
    expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/contacts_attributes_gin/);
  });
});
