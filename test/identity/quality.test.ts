import { describe, expect, test } from 'vitest';
import { identityApp } from './support.js';

const { json, contact } = identityApp();

describe('GET /api/contacts/quality', () => {
  test('counts contacts without an address, duplicates, mixed types, and suggests merges', async () => {
    const first = await contact({ email: 'john.smith@gmail.com', attributes: { age: 40 } });
    const second = await contact({ email: 'JohnSmith+news@googlemail.com', attributes: { age: 'forty' } });
    await contact({ externalId: 'no-address', attributes: { age: 30 } });
    const byPhone = await contact({ phone: '+358401234567' });
    const byAttribute = await contact({ email: 'other@example.com', attributes: { mobile: '+358 40 123 4567' } });
    const gone = await contact({ email: 'merged-away@example.com', attributes: { age: true } });
    // The survivor takes the merged-away contact's email: it has an address.
    const keep = await contact({ externalId: 'keeper' });
    await json('POST', `/api/contacts/${keep}/merge`, { from: gone });

    const report = await json('GET', '/api/contacts/quality');
    expect(report).toMatchObject({
      contacts: 6,
      withoutAddress: 1,
      duplicates: { email: { groups: 1, contacts: 2 }, phone: { groups: 1, contacts: 2 } },
      mixedTypes: [{ attribute: 'age', types: { number: 2, string: 1 } }],
      suggestedMerges: [
        { contactIds: [first, second], reason: 'email', value: 'johnsmith@gmail.com' },
        { contactIds: [byPhone, byAttribute], reason: 'phone', value: '+358401234567' },
      ],
    });
    expect(Date.parse(report.generatedAt)).toBeGreaterThan(0);
  });
});
