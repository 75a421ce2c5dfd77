import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// A CSV exported by Excel in a European locale separates its fields with semicolons and starts
// with a UTF-8 BOM: every row was read as one column named `email;firstName;city`, so the
// import made anonymous contacts holding the whole line as one attribute. server/README.md
// "A CSV import's delimiter": it is read from the header row.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const importCsv = (text: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/contacts/import',
    headers: { ...t.auth, 'content-type': 'text/csv' },
    payload: text,
  });
const stored = async (email: string) =>
  (await t.runtime.pool.query('select attributes from contacts where email = $1', [email])).rows;
const contactCount = async () => (await t.runtime.pool.query('select count(*)::int as n from contacts')).rows[0].n;

describe('the CSV delimiter is read from the header row', () => {
  test('semicolons, with the BOM and CRLF line ends Excel writes', async () => {
    const res = await importCsv(
      '\ufeffemail;firstName;city\r\nsemi1@x.com;Ann;Zürich\r\nsemi2@x.com;Bo;"Köln; Mitte"\r\n',
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ imported: 2, created: 2, failedCount: 0 });
    expect(await stored('semi1@x.com')).toEqual([{ attributes: { firstName: 'Ann', city: 'Zürich' } }]);
    expect(await stored('semi2@x.com')).toEqual([{ attributes: { firstName: 'Bo', city: 'Köln; Mitte' } }]);
  });

  test('tabs', async () => {
    const res = await importCsv('email\tfirstName\ntab1@x.com\tCy\n');
    expect(res.json()).toMatchObject({ imported: 1, failedCount: 0 });
    expect(await stored('tab1@x.com')).toEqual([{ attributes: { firstName: 'Cy' } }]);
  });

  test('a delimiter inside a quoted header field is not one', async () => {
    const res = await importCsv('email,"plan; tier"\nquoted1@x.com,gold\n');
    expect(res.json()).toMatchObject({ imported: 1, failedCount: 0 });
    expect(await stored('quoted1@x.com')).toEqual([{ attributes: { 'plan; tier': 'gold' } }]);
    const semi = await importCsv('"email";"name, full"\nquoted2@x.com;"Doe, Jane"\n');
    expect(semi.json()).toMatchObject({ imported: 1, failedCount: 0 });
    expect(await stored('quoted2@x.com')).toEqual([{ attributes: { 'name, full': 'Doe, Jane' } }]);
  });

  test('commas stay the delimiter, with a BOM too, and a cell may hold a semicolon', async () => {
    const res = await importCsv('\ufeffemail,note\ncomma1@x.com,a;b;c\n');
    expect(res.json()).toMatchObject({ imported: 1, failedCount: 0 });
    expect(await stored('comma1@x.com')).toEqual([{ attributes: { note: 'a;b;c' } }]);
  });

  test('a one-column file of addresses still imports', async () => {
    const res = await importCsv('email\none1@x.com\n');
    expect(res.json()).toMatchObject({ imported: 1, failedCount: 0 });
  });
});

describe('a header naming none of email, phone and externalId', () => {
  test('imports each row as an anonymous contact with its attributes, as POST /api/contacts does', async () => {
    const before = await contactCount();
    const res = await importCsv('firstName;city\nAnn;Paris\n');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ imported: 1, created: 1, failedCount: 0 });
    expect(await contactCount()).toBe(before + 1);
  });
});
