import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const EMAIL = 'forget.me@example.com';

async function tablesMentioning(text: string): Promise<string[]> {
  const { rows: columns } = await t.runtime.pool.query(`
    select table_name, column_name from information_schema.columns
    where table_schema = 'public' and data_type in ('text', 'character varying', 'jsonb', 'json')`);
  const hits: string[] = [];
  for (const { table_name, column_name } of columns) {
    const { rows } = await t.runtime.pool.query(
      `select count(*)::int as n from "${table_name}" where strpos("${column_name}"::text, $1) > 0`,
      [text],
    );
    if (rows[0].n > 0) hits.push(`${table_name}.${column_name}`);
  }
  return hits;
}

describe('GDPR export and erase', () => {
  test('export holds the contact, its events, tags and lists', async () => {
    const { id } = (
      await t.app.inject({
        method: 'POST',
        url: '/api/contacts',
        headers: t.auth,
        payload: { email: 'export@example.com' },
      })
    ).json();
    await t.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: t.auth,
      payload: { contactId: id, name: 'email.opened' },
    });
    await t.app.inject({ method: 'POST', url: `/api/contacts/${id}/tags`, headers: t.auth, payload: { tag: 'vip' } });
    const res = await t.app.inject({ method: 'GET', url: `/api/contacts/${id}/export`, headers: t.auth });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.contact.email).toBe('export@example.com');
    expect(body.events).toEqual([expect.objectContaining({ name: 'email.opened' })]);
    expect(body.tags).toEqual([expect.objectContaining({ tag: 'vip', count: 1 })]);
    expect(body).toMatchObject({ lists: [], messages: [], runs: [], leads: [] });
  });

  test('after an erase no table holds the contact’s email anywhere', async () => {
    const { id } = (
      await t.app.inject({
        method: 'POST',
        url: '/api/contacts',
        headers: t.auth,
        payload: { email: EMAIL, phone: '+358409999999', externalId: 'gdpr-1' },
      })
    ).json();
    await t.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: t.auth,
      payload: { email: EMAIL, name: 'signup', properties: { ref: EMAIL } },
    });
    await t.app.inject({
      method: 'POST',
      url: `/api/contacts/${id}/lists`,
      headers: t.auth,
      payload: { list: 'news' },
    });
    // Another contact's event that mentions the address is that contact's: the erase leaves it alone.
    await t.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: t.auth,
      payload: { email: 'friend@example.com', name: 'referred', properties: { friend: EMAIL } },
    });
    expect(await tablesMentioning(EMAIL)).not.toEqual([]);

    const res = await t.app.inject({ method: 'DELETE', url: `/api/contacts/${id}`, headers: t.auth });
    expect(res.statusCode).toBe(204);
    expect(await tablesMentioning(EMAIL)).toEqual(['events.properties']);
    const { rows: kept } = await t.runtime.pool.query("select properties from events where name = 'referred'");
    expect(kept).toEqual([{ properties: { friend: EMAIL } }]);
    expect(await tablesMentioning('+358409999999')).toEqual([]);
    expect(await tablesMentioning('gdpr-1')).toEqual([]);
    const gone = await t.app.inject({ method: 'GET', url: `/api/contacts/${id}`, headers: t.auth });
    expect(gone.statusCode).toBe(404);
    const { rows } = await t.runtime.pool.query(
      "select count(*)::int as n from contacts where email = 'friend@example.com'",
    );
    expect(rows[0].n).toBe(1);
    const erasures = await t.runtime.pool.query('select identity_hashes from erasures');
    expect(erasures.rows[0].identity_hashes).toHaveLength(3);
  });

  test('erasing an unknown contact answers 404', async () => {
    const res = await t.app.inject({
      method: 'DELETE',
      url: '/api/contacts/00000000-0000-4000-8000-000000000000',
      headers: t.auth,
    });
    expect(res.statusCode).toBe(404);
  });
});
