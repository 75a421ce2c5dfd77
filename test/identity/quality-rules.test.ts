import { sql } from 'kysely';
import { describe, expect, test } from 'vitest';
import { identityApp } from './support.js';

// identity.md "Data quality", rule by rule (test/identity/quality.test.ts shows them together).
const { app, json, contact } = identityApp();
const report = () => json('GET', '/api/contacts/quality');
type Suggestion = { contactIds: string[]; reason: string; value: string };

describe('GET /api/contacts/quality, rule by rule', () => {
  test('a contact whose only address is an undeliverable email counts as without an address', async () => {
    const bounced = await contact({ email: 'bounced@example.com' });
    await contact({ phone: '+358401110301' });
    await contact({ email: 'fine@example.com' });
    await sql`insert into email_suppressions (address, contact_id) values ('bounced@example.com', ${bounced})`.execute(
      app().runtime.db,
    );
    expect((await report()).withoutAddress).toBe(1);
  });

  test('a +suffix is dropped from any email, dots only from a gmail.com one', async () => {
    const plain = await contact({ email: 'ann@example.org' });
    const tagged = await contact({ email: 'ann+shop@example.org' });
    await contact({ email: 'a.nn@example.org' });
    const { suggestedMerges } = await report();
    const group = suggestedMerges.find((s: Suggestion) => s.value === 'ann@example.org');
    expect(group).toEqual({ contactIds: [plain, tagged], reason: 'email', value: 'ann@example.org' });
  });

  test('mixedTypes counts contacts per JSON type and leaves null out', async () => {
    for (const value of [1, 'one', true, [1], { one: 1 }, null]) await contact({ attributes: { mixed: value } });
    await contact({ attributes: { sometimes: 1 } });
    await contact({ attributes: { sometimes: null } });
    const { mixedTypes } = await report();
    expect(mixedTypes.find((m: { attribute: string }) => m.attribute === 'mixed')).toEqual({
      attribute: 'mixed',
      types: { number: 1, string: 1, boolean: 1, array: 1, object: 1 },
    });
    expect(mixedTypes.some((m: { attribute: string }) => m.attribute === 'sometimes')).toBe(false);
  });

  test('at most 100 merges are suggested, while duplicates count every group', async () => {
    const rows = Array.from({ length: 101 }, (_, i) => `dup${i}@example.net\ndup${i}+x@example.net`).join('\n');
    const res = await app().app.inject({
      method: 'POST',
      url: '/api/contacts/import',
      headers: { ...app().auth, 'content-type': 'text/csv' },
      payload: `email\n${rows}\n`,
    });
    expect(res.json().created).toBe(202);
    const { duplicates, suggestedMerges } = await report();
    expect(duplicates.email.groups).toBeGreaterThanOrEqual(101);
    expect(suggestedMerges).toHaveLength(100);
  });
});
