import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const post = (url: string, payload: object) => t.app.inject({ method: 'POST', url, headers: t.auth, payload });

describe('POST /api/contacts', () => {
  test('creates a contact with a trimmed, lower-cased email and an E.164 phone', async () => {
    const res = await post('/api/contacts', {
      email: '  Ann@Example.COM ',
      phone: '+358 40 123 4567',
      timezone: 'Europe/Helsinki',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ email: 'ann@example.com', phone: '+358401234567', timezone: 'Europe/Helsinki' });
    expect(res.json().consent).toEqual({ email: { status: 'unknown' }, sms: { status: 'unknown' } });
  });

  test('stores a time zone as IANA spells it, whatever case it came in; a link stays as given', async () => {
    for (const [given, stored] of [
      ['europe/helsinki', 'Europe/Helsinki'],
      ['utc', 'UTC'],
      ['AMERICA/NEW_YORK', 'America/New_York'],
      ['Etc/UTC', 'Etc/UTC'],
    ]) {
      const res = await post('/api/contacts', {
        email: `zone-${stored?.replace('/', '-')}@example.com`,
        timezone: given,
      });
      expect(res.statusCode).toBe(201);
      expect(res.json().timezone).toBe(stored);
    }
  });

  test('matches an email case-insensitively and merges attributes key by key', async () => {
    await post('/api/contacts', { email: 'merge@example.com', attributes: { a: 1, b: 2 } });
    const res = await post('/api/contacts', { email: 'MERGE@example.com', attributes: { b: 3, c: 4 } });
    expect(res.statusCode).toBe(200);
    expect(res.json().attributes).toEqual({ a: 1, b: 3, c: 4 });
  });

  test('matches by externalId before email, then by email before phone', async () => {
    const first = (await post('/api/contacts', { externalId: 'crm-1', email: 'one@example.com' })).json();
    const byExt = await post('/api/contacts', { externalId: 'crm-1', phone: '+358401111111' });
    expect(byExt.json().id).toBe(first.id);
    expect(byExt.json()).toMatchObject({ email: 'one@example.com', phone: '+358401111111' });
    const byPhone = await post('/api/contacts', { phone: '+358401111111', attributes: { x: true } });
    expect(byPhone.json().id).toBe(first.id);
  });

  test('answers 409 when the identity fields name two different contacts and automatic merges are off', async () => {
    const settings = (payload: object) =>
      t.app.inject({ method: 'PUT', url: '/api/settings/identity', headers: t.auth, payload });
    await settings({ autoMerge: false, autoMergeOn: [] });
    await post('/api/contacts', { externalId: 'crm-a' });
    await post('/api/contacts', { email: 'b@example.com' });
    const res = await post('/api/contacts', { externalId: 'crm-a', email: 'b@example.com' });
    expect(res.statusCode).toBe(409);
    await settings({ autoMerge: true, autoMergeOn: ['externalId', 'email', 'phone'] });
  });

  test.each([
    ['email', { email: 'not-an-email' }, '/email'],
    ['phone', { phone: 'call me' }, '/phone'],
    ['timezone', { email: 'tz@example.com', timezone: 'Mars/Olympus' }, '/timezone'],
    ['blank email', { email: '   ' }, '/email'],
    ['blank externalId', { externalId: ' ', email: 'blank-ext@example.com' }, '/externalId'],
  ])('refuses an invalid %s with 400 naming the field', async (_field, body, path) => {
    const res = await post('/api/contacts', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
    expect(res.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  test('concurrent upserts of one new identity create one contact', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        post('/api/contacts', { email: 'race@example.com', attributes: { [`k${i}`]: i } }),
      ),
    );
    const ids = new Set(results.map((r) => r.json().id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    const { rows } = await t.runtime.pool.query("select attributes from contacts where email = 'race@example.com'");
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0].attributes)).toHaveLength(12);
  });
});

describe('GET /api/contacts/:id', () => {
  test('answers 404 for an unknown contact', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/contacts/00000000-0000-4000-8000-000000000000',
      headers: t.auth,
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });
});

describe('tags and lists', () => {
  test('adding a tag again bumps its count; removing keeps the count and turns it inactive', async () => {
    const { id } = (await post('/api/contacts', { email: 'tags@example.com' })).json();
    await post(`/api/contacts/${id}/tags`, { tag: 'vip' });
    const again = await post(`/api/contacts/${id}/tags`, { tag: 'vip' });
    expect(again.json()).toMatchObject({ tag: 'vip', count: 2, active: true, expiresAt: null });
    const del = await t.app.inject({ method: 'DELETE', url: `/api/contacts/${id}/tags/vip`, headers: t.auth });
    expect(del.statusCode).toBe(204);
    const contact = (await t.app.inject({ method: 'GET', url: `/api/contacts/${id}`, headers: t.auth })).json();
    expect(contact.tags).toEqual([expect.objectContaining({ tag: 'vip', count: 2, active: false })]);
  });

  test('a tag with a lifespan turns inactive when it expires and reactivates when added again', async () => {
    const { id } = (await post('/api/contacts', { email: 'ttl@example.com' })).json();
    const added = (await post(`/api/contacts/${id}/tags`, { tag: 'hot', ttlSeconds: 1 })).json();
    expect(Date.parse(added.expiresAt) - Date.parse(added.lastAddedAt)).toBe(1000);
    await new Promise((r) => setTimeout(r, 1100));
    const expired = (await t.app.inject({ method: 'GET', url: `/api/contacts/${id}`, headers: t.auth })).json();
    expect(expired.tags[0]).toMatchObject({ tag: 'hot', count: 1, active: false });
    const again = (await post(`/api/contacts/${id}/tags`, { tag: 'hot', ttlSeconds: 1 })).json();
    expect(again).toMatchObject({ count: 2, active: true });
  });

  test("a tag added without a lifespan takes the tag's default from PUT /api/tags/:tag", async () => {
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/tags/promo',
      headers: t.auth,
      payload: { ttlSeconds: 2 },
    });
    expect(put.json()).toEqual({ tag: 'promo', ttlSeconds: 2 });
    const { id } = (await post('/api/contacts', { email: 'promo@example.com' })).json();
    const added = (await post(`/api/contacts/${id}/tags`, { tag: 'promo' })).json();
    expect(Date.parse(added.expiresAt) - Date.parse(added.lastAddedAt)).toBe(2000);
    const tags = (await t.app.inject({ method: 'GET', url: '/api/tags', headers: t.auth })).json().tags;
    expect(tags).toContainEqual({ tag: 'promo', ttlSeconds: 2, activeContacts: 1, contacts: 1 });
  });

  test.each([
    ['tags', 'tag'],
    ['lists', 'list'],
  ])('a blank name in %s is refused with 400 naming the field, and never listed', async (route, field) => {
    const { id } = (await post('/api/contacts', { email: `blank-${field}@example.com` })).json();
    for (const name of ['', '  ', '\t\n']) {
      const res = await post(`/api/contacts/${id}/${route}`, { [field]: name });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({
        code: 'validation_failed',
        details: [{ path: `/${field}`, message: `body/${field} must not be blank` }],
      });
    }
    const listed = (await t.app.inject({ method: 'GET', url: `/api/${route}`, headers: t.auth })).json()[route];
    expect(listed.filter((s: Record<string, string>) => s[field]?.trim() === '')).toEqual([]);
  });

  test('a tag with spaces around a name is kept as given', async () => {
    const { id } = (await post('/api/contacts', { email: 'spaced-tag@example.com' })).json();
    const res = await post(`/api/contacts/${id}/tags`, { tag: ' vip ' });
    expect(res.statusCode).toBe(200);
    expect(res.json().tag).toBe(' vip ');
  });

  test('a blank tag cannot be given a default lifespan', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/tags/%20%20',
      headers: t.auth,
      payload: { ttlSeconds: 5 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/tag', message: 'params/tag must not be blank' }],
    });
  });

  // 1,000 years: past it an expiry would leave the dates PostgreSQL can store.
  test('a tag lifespan past 1,000 years is refused naming ttlSeconds, never a 500', async () => {
    const { id } = (await post('/api/contacts', { email: 'forever@example.com' })).json();
    const res = await post(`/api/contacts/${id}/tags`, { tag: 'forever', ttlSeconds: 1e15 });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/ttlSeconds', message: 'body/ttlSeconds must be <= 31557600000' }],
    });
  });

  test('a tag default lifespan past 1,000 years is refused naming ttlSeconds', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/tags/forever',
      headers: t.auth,
      payload: { ttlSeconds: 1e15 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: '/ttlSeconds', message: 'body/ttlSeconds must be <= 31557600000' },
    ]);
  });

  test('a tag lifespan of 1,000 years is taken', async () => {
    const { id } = (await post('/api/contacts', { email: 'millennium@example.com' })).json();
    const res = await post(`/api/contacts/${id}/tags`, { tag: 'millennium', ttlSeconds: 31_557_600_000 });
    expect(res.statusCode).toBe(200);
    expect(new Date(res.json().expiresAt).getUTCFullYear()).toBeGreaterThan(3000);
  });

  test('lists keep the added date and count their members', async () => {
    const { id } = (await post('/api/contacts', { email: 'list@example.com' })).json();
    const added = await post(`/api/contacts/${id}/lists`, { list: 'newsletter' });
    expect(added.statusCode).toBe(200);
    expect(added.json().list).toBe('newsletter');
    const lists = (await t.app.inject({ method: 'GET', url: '/api/lists', headers: t.auth })).json().lists;
    expect(lists).toContainEqual({ list: 'newsletter', members: 1 });
    const del = await t.app.inject({ method: 'DELETE', url: `/api/contacts/${id}/lists/newsletter`, headers: t.auth });
    expect(del.statusCode).toBe(204);
    const contact = (await t.app.inject({ method: 'GET', url: `/api/contacts/${id}`, headers: t.auth })).json();
    expect(contact.lists).toEqual([]);
  });
});

describe('PUT /api/contacts/:id/consent', () => {
  test('stores the consent and records a consent.changed event', async () => {
    const { id } = (await post('/api/contacts', { email: 'consent@example.com' })).json();
    const res = await t.app.inject({
      method: 'PUT',
      url: `/api/contacts/${id}/consent`,
      headers: t.auth,
      payload: { channel: 'email', status: 'subscribed', source: 'form' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'subscribed', source: 'form' });
    const events = (await t.app.inject({ method: 'GET', url: `/api/events?contactId=${id}`, headers: t.auth })).json();
    expect(events.events).toEqual([
      expect.objectContaining({
        name: 'consent.changed',
        properties: expect.objectContaining({ channel: 'email', status: 'subscribed' }),
      }),
    ]);
  });
});
