import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { defaultWorkspace, makeUser, signIn } from '../support.js';
import { expectRefused, whileAuditRefused } from './audit-refusal.js';

// teams.md "Audit log": an import is one entry, appended in the same transaction as the
// change. Its batches of 500 rows commit one by one, so the entry goes with the first batch
// that stores a row: an entry that cannot be written stores nothing.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const ndjson = (emails: string[]) => emails.map((email) => JSON.stringify({ email })).join('\n');
const importing = (body: string, headers: Record<string, string> = t.auth) =>
  t.app.inject({
    method: 'POST',
    url: '/api/contacts/import',
    headers: { ...headers, 'content-type': 'application/x-ndjson' },
    payload: body,
  });
const imported = async () =>
  (await t.app.inject({ method: 'GET', url: '/api/audit?action=contacts.imported', headers: t.auth })).json()
    .entries as { actor: Record<string, unknown>; object: { type: string; id: string | null } }[];
const contactsLike = async (prefix: string) => {
  const { rows } = await t.runtime.pool.query('select count(*)::int as n from contacts where email like $1', [
    `${prefix}%`,
  ]);
  return rows[0].n as number;
};

describe('the audit log of an import', () => {
  test('records one contacts.imported, by whoever imported, however many batches it took', async () => {
    await makeUser(t.runtime.db, 'importer@example.com', await defaultWorkspace(t.runtime.db), 'editor');
    const importer = await signIn(t.app, 'importer@example.com');
    const before = await imported();
    const emails = Array.from({ length: 1200 }, (_, i) => `batched${i + 1}@example.com`);
    const res = await importing(ndjson(emails), importer.headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ imported: 1200, created: 1200 });
    const after = await imported();
    expect(after).toHaveLength(before.length + 1);
    expect(after[0]).toMatchObject({
      actor: { type: 'user', id: expect.any(String), email: 'importer@example.com' },
      object: { type: 'contact', id: null },
    });
  });

  test('an import that stores no row is still recorded once, as it answers', async () => {
    const before = await imported();
    const res = await importing(ndjson(['not-an-email', 'also not one']));
    expect(res.json()).toMatchObject({ imported: 0, failedCount: 2 });
    expect(await imported()).toHaveLength(before.length + 1);
  });

  test('an import whose entry cannot be written answers 500 and stores no row', async () => {
    const before = await imported();
    const emails = Array.from({ length: 700 }, (_, i) => `refused${i + 1}@example.com`);
    expectRefused(await whileAuditRefused(t, () => importing(ndjson(emails))));
    expect(await contactsLike('refused')).toBe(0);
    expect(await imported()).toHaveLength(before.length);
  });

  test('rows that fail before the first stored one do not take the entry with them', async () => {
    const before = await imported();
    // The first batch of 500 stores nothing (every row fails); the second stores one.
    const lines = [...Array.from({ length: 500 }, () => 'not-an-email'), 'late@example.com'];
    const res = await importing(ndjson(lines));
    expect(res.json()).toMatchObject({ imported: 1, failedCount: 500 });
    expect(await imported()).toHaveLength(before.length + 1);
  });
});
