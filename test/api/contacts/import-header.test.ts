import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// API.md: a CSV's `email`, `phone`, `externalId` and `timezone` columns are identity fields. An
// `Email` header made anonymous contacts with an `Email` attribute and reported success.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const importCsv = (lines: string[]) =>
  t.app.inject({
    method: 'POST',
    url: '/api/contacts/import',
    headers: { ...t.auth, 'content-type': 'text/csv' },
    payload: lines.join('\n'),
  });
const contactCount = async () => (await t.runtime.pool.query('select count(*)::int as n from contacts')).rows[0].n;

describe('a CSV header names its identity columns', () => {
  test('in any case and with spaces around', async () => {
    const res = await importCsv([
      ' Email ,PHONE,ExternalID,TimeZone,First Name',
      'h1@x.com,+358401234567,h-1,Europe/Oslo,Ann',
    ]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ imported: 1, created: 1, failedCount: 0 });
    const { rows } = await t.runtime.pool.query(
      "select phone, external_id, timezone, attributes from contacts where email = 'h1@x.com'",
    );
    expect(rows).toEqual([
      { phone: '+358401234567', external_id: 'h-1', timezone: 'Europe/Oslo', attributes: { 'First Name': 'Ann' } },
    ]);
  });

  test('while other columns keep their names as attributes', async () => {
    await importCsv(['email,Plan,plan', 'h2@x.com,Pro,pro']);
    const { rows } = await t.runtime.pool.query("select attributes from contacts where email = 'h2@x.com'");
    expect(rows).toEqual([{ attributes: { Plan: 'Pro', plan: 'pro' } }]);
  });
});

/** The import answers 400 naming the column in its one detail, and stores no row. */
async function expectRefused(lines: string[], message: string) {
  const before = await contactCount();
  const res = await importCsv(lines);
  expect(res.statusCode, res.body).toBe(400);
  expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [{ message }] });
  expect(await contactCount()).toBe(before);
}

describe('a CSV header that cannot be read as columns fails the import with 400, storing nothing', () => {
  test('a column with no name is named by its position', () =>
    expectRefused(['email,,plan', 'e1@x.com,x,pro'], 'header column 2 has no name'));

  test('a repeated identity column, in whatever case, is named', () =>
    expectRefused(['email,plan,EMAIL', 'r1@x.com,pro,r2@x.com'], 'header column 3 "EMAIL" repeats column 1'));

  test('a repeated attribute column is named', () =>
    expectRefused(['email,plan,plan', 'r3@x.com,free,pro'], 'header column 3 "plan" repeats column 2'));
});
