import { describe, expect, test } from 'vitest';
import { identityApp } from './support.js';

const { app, call, json } = identityApp();

const upsert = (body: object) => json('POST', '/api/contacts', body);
const importNdjson = (lines: object[], query = '') =>
  app().app.inject({
    method: 'POST',
    url: `/api/contacts/import${query}`,
    headers: { ...app().auth, 'content-type': 'application/x-ndjson' },
    payload: lines.map((l) => JSON.stringify(l)).join('\n'),
  });

describe('attribute sources', () => {
  test('a contact keeps which source set each attribute; a removed attribute loses its entry', async () => {
    const c = await upsert({ email: 'src-1@example.com', attributes: { plan: 'gold', city: 'Oulu' }, source: 'crm' });
    expect(c.attributeSources).toEqual({
      plan: { source: 'crm', at: expect.any(String) },
      city: { source: 'crm', at: expect.any(String) },
    });
    const after = await upsert({ email: 'src-1@example.com', attributes: { city: null, age: 3 } });
    expect(after.attributeSources).toEqual({
      plan: { source: 'crm', at: expect.any(String) },
      age: { source: 'api', at: expect.any(String) },
    });
  });

  test('a lower-ranking source cannot overwrite or remove what a higher one set; the rest of its write applies', async () => {
    expect(await json('GET', '/api/settings/attribute-sources')).toEqual({ default: [], attributes: {} });
    await json('PUT', '/api/settings/attribute-sources', {
      default: ['crm'],
      attributes: { city: ['webshop', 'crm'] },
    });
    await upsert({ email: 'src-2@example.com', attributes: { plan: 'gold', city: 'Oulu' }, source: 'crm' });
    const shop = await upsert({
      email: 'src-2@example.com',
      attributes: { plan: 'free', city: 'Turku', cart: 2 },
      source: 'webshop',
    });
    expect(shop.attributes).toEqual({ plan: 'gold', city: 'Turku', cart: 2 });
    const removal = await upsert({ email: 'src-2@example.com', attributes: { plan: null }, source: 'form' });
    expect(removal.attributes.plan).toBe('gold');
    // Both unlisted: equal ranks, the write applies.
    const same = await upsert({ email: 'src-2@example.com', attributes: { cart: 5 }, source: 'form' });
    expect(same.attributes.cart).toBe(5);
    await json('PUT', '/api/settings/attribute-sources', { default: [], attributes: {} });
  });

  test('an import names its source; an NDJSON line’s own source wins', async () => {
    const res = await importNdjson(
      [
        { email: 'src-3@example.com', attributes: { a: 1 } },
        { email: 'src-4@example.com', attributes: { a: 1 }, source: 'crm' },
      ],
      '?source=webshop',
    );
    expect(res.json()).toMatchObject({ imported: 2, failedCount: 0 });
    const three = await upsert({ email: 'src-3@example.com' });
    const four = await upsert({ email: 'src-4@example.com' });
    expect(three.attributeSources.a.source).toBe('webshop');
    expect(four.attributeSources.a.source).toBe('crm');
  });

  test('bad or repeated sources are refused', async () => {
    const bad = await call('PUT', '/api/settings/attribute-sources', { default: ['CRM!'], attributes: {} });
    expect([bad.statusCode, bad.json().error.details[0].path]).toEqual([400, '/default/0']);
    const twice = await call('PUT', '/api/settings/attribute-sources', {
      default: [],
      attributes: { city: ['crm', 'crm'] },
    });
    expect([twice.statusCode, twice.json().error.details[0].path]).toEqual([400, '/attributes/city/1']);
    expect((await call('POST', '/api/contacts', { email: 'x@example.com', source: 'Bad Source' })).statusCode).toBe(
      400,
    );
  });

  test('a merge keeps the value whose source ranks higher', async () => {
    await json('PUT', '/api/settings/attribute-sources', { default: ['crm'], attributes: {} });
    const keep = (await upsert({ externalId: 'src-m', attributes: { plan: 'free' }, source: 'webshop' })).id;
    const gone = (await upsert({ email: 'src-m@example.com', attributes: { plan: 'gold' }, source: 'crm' })).id;
    const merged = await json('POST', `/api/contacts/${keep}/merge`, { from: gone });
    expect(merged.attributes.plan).toBe('gold');
    expect(merged.attributeSources.plan.source).toBe('crm');
    await json('PUT', '/api/settings/attribute-sources', { default: [], attributes: {} });
  });
});
