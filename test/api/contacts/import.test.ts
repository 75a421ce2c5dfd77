import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const importBody = (contentType: string, payload: string | Buffer) =>
  t.app.inject({
    method: 'POST',
    url: '/api/contacts/import',
    headers: { ...t.auth, 'content-type': contentType },
    payload,
  });

describe('POST /api/contacts/import', () => {
  test('imports CSV rows, reports bad rows by data row number, and keeps the good ones', async () => {
    const csv = [
      'email,phone,externalId,timezone,plan,age',
      'a@example.com,,,Europe/Helsinki,pro,42',
      'not-an-email,,,,free,1',
      'b@example.com,+358401234567,,,free,',
      'A@EXAMPLE.COM,,,,enterprise,43',
      'c@example.com,,,Nowhere/City,free,5',
    ].join('\n');
    const res = await importBody('text/csv', csv);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      imported: 3,
      created: 2,
      updated: 1,
      merged: 0,
      failed: [
        { row: 2, field: 'email', error: expect.any(String) },
        { row: 5, field: 'timezone', error: expect.any(String) },
      ],
      failedCount: 2,
    });
    const { rows } = await t.runtime.pool.query(
      "select attributes, timezone from contacts where email = 'a@example.com'",
    );
    expect(rows[0]).toEqual({ attributes: { plan: 'enterprise', age: 43 }, timezone: 'Europe/Helsinki' });
  });

  test('an unreadable CSV row is reported by its own data row number', async () => {
    const csv = ['email,a', 'r1@imp.com,1', 'r2@imp.com,2,3', 'r3@imp.com,3', 'bad,4'].join('\n');
    const res = await importBody('text/csv', csv);
    expect(res.json()).toMatchObject({
      imported: 2,
      failed: [
        { row: 2, error: expect.stringContaining('unreadable CSV row') },
        { row: 4, field: 'email', error: expect.any(String) },
      ],
    });
  });

  test('two unreadable CSV rows, together and apart, keep their own numbers', async () => {
    const csv = ['email,a', 'u1@imp.com,1,x', 'u2@imp.com,2', 'u3@imp.com,3,x', 'u4@imp.com,4,x', 'u5@imp.com,5'];
    const res = await importBody('text/csv', csv.join('\n'));
    expect(res.json()).toMatchObject({ imported: 2, failedCount: 3 });
    expect(res.json().failed.map((f: { row: number }) => f.row)).toEqual([1, 3, 4]);
  });

  test('imports NDJSON lines as POST /api/contacts bodies, with broken lines reported', async () => {
    const ndjson = [
      JSON.stringify({ externalId: 'n-1', attributes: { score: 1 } }),
      '{not json',
      JSON.stringify({ email: 'n2@example.com', phone: 'nope' }),
      JSON.stringify({ externalId: 'n-1', email: 'n1@example.com', attributes: { level: 'gold' } }),
    ].join('\n');
    const res = await importBody('application/x-ndjson', ndjson);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ imported: 2, created: 1, updated: 1 });
    expect(body.failed.map((f: { row: number }) => f.row)).toEqual([2, 3]);
    expect(body.failed[1].field).toBe('phone');
    const { rows } = await t.runtime.pool.query("select email, attributes from contacts where external_id = 'n-1'");
    expect(rows).toEqual([{ email: 'n1@example.com', attributes: { score: 1, level: 'gold' } }]);
  });

  test('an NDJSON line with a blank email fails naming the field, as POST /api/contacts does', async () => {
    const ndjson = [JSON.stringify({ email: '  ', attributes: { a: 1 } }), JSON.stringify({ email: 'nb@example.com' })];
    const res = await importBody('application/x-ndjson', ndjson.join('\n'));
    expect(res.json()).toMatchObject({ imported: 1, failed: [{ row: 1, field: 'email', error: expect.any(String) }] });
  });

  test('an NDJSON line with a field POST /api/contacts does not know fails naming it, instead of dropping it', async () => {
    const ndjson = [
      JSON.stringify({ email: 'typo@example.com', atributes: { plan: 'pro' } }),
      JSON.stringify({ email: 'fine@example.com', attributes: { plan: 'pro' } }),
    ];
    const res = await importBody('application/x-ndjson', ndjson.join('\n'));
    expect(res.json()).toMatchObject({
      imported: 1,
      failed: [{ row: 1, field: 'atributes', error: 'atributes is not a known field' }],
      failedCount: 1,
    });
    const { rows } = await t.runtime.pool.query("select email from contacts where email like '%typo%'");
    expect(rows).toEqual([]);
  });

  test('an NDJSON line holding a NUL character or a lone surrogate fails alone, the good lines are stored', async () => {
    const ndjson = [
      JSON.stringify({ email: 'u1@example.com' }),
      JSON.stringify({ email: 'u2@example.com', attributes: { note: 'a\u0000b' } }),
      JSON.stringify({ externalId: 'u-\ud800' }),
      JSON.stringify({ email: 'u4@example.com' }),
    ].join('\n');
    const res = await importBody('application/x-ndjson', ndjson);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      imported: 2,
      failed: [
        { row: 2, field: 'attributes/note', error: 'attributes/note must not contain a NUL character' },
        { row: 3, field: 'externalId', error: expect.stringContaining('well-formed Unicode') },
      ],
    });
    const { rows } = await t.runtime.pool.query("select email from contacts where email like 'u_@example.com'");
    expect(rows.map((r) => r.email).sort()).toEqual(['u1@example.com', 'u4@example.com']);
  });

  test('a CSV row holding a NUL byte fails alone, naming its column; the good rows are stored', async () => {
    const csv = Buffer.from('email,plan\nz1@example.com,pro\nz2@example.com,a\u0000b\nz3@example.com,free\n');
    const res = await importBody('text/csv', csv);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      imported: 2,
      failed: [{ row: 2, field: 'plan', error: 'plan must not contain a NUL character' }],
    });
  });

  test('imports a few thousand rows in batches', async () => {
    const lines = ['email,n', ...Array.from({ length: 2500 }, (_, i) => `bulk${i}@example.com,${i}`)];
    const res = await importBody('text/csv', lines.join('\n'));
    expect(res.json()).toMatchObject({ imported: 2500, created: 2500, updated: 0, failed: [] });
  });

  test('refuses a content type it cannot read', async () => {
    const res = await importBody('application/xml', '<a/>');
    expect(res.statusCode).toBe(415);
  });

  describe('emailUndeliverable in an NDJSON line', () => {
    /** A contact whose email bounced: suppressed, as a hard bounce leaves it. */
    const bounced = async (email: string) => {
      const { id } = (
        await t.app.inject({ method: 'POST', url: '/api/contacts', headers: t.auth, payload: { email } })
      ).json();
      await t.runtime.db
        .insertInto('email_suppressions')
        .values({ address: email, contact_id: id, status: '5.1.1' })
        .execute();
      return id as string;
    };
    const contact = async (id: string) =>
      (await t.app.inject({ method: 'GET', url: `/api/contacts/${id}`, headers: t.auth })).json();

    test('null declares the email deliverable again, as POST /api/contacts does', async () => {
      const id = await bounced('import-bounced@example.com');
      expect((await contact(id)).emailUndeliverable).toMatchObject({ reason: 'bounced' });
      const line = JSON.stringify({ email: 'import-bounced@example.com', emailUndeliverable: null });
      const res = await importBody('application/x-ndjson', line);
      expect(res.json()).toMatchObject({ imported: 1, updated: 1, failedCount: 0 });
      expect((await contact(id)).emailUndeliverable).toBeNull();
    });

    test('a line without it leaves the suppression', async () => {
      const id = await bounced('import-kept@example.com');
      await importBody('application/x-ndjson', JSON.stringify({ email: 'import-kept@example.com' }));
      expect((await contact(id)).emailUndeliverable).toMatchObject({ reason: 'bounced' });
    });

    test('a value other than null fails its row, naming the field', async () => {
      const id = await bounced('import-object@example.com');
      const line = JSON.stringify({ email: 'import-object@example.com', emailUndeliverable: { reason: 'bounced' } });
      const res = await importBody('application/x-ndjson', line);
      expect(res.json()).toMatchObject({
        imported: 0,
        failed: [{ row: 1, field: 'emailUndeliverable', error: 'emailUndeliverable must be null' }],
        failedCount: 1,
      });
      expect((await contact(id)).emailUndeliverable).toMatchObject({ reason: 'bounced' });
    });
  });
});
