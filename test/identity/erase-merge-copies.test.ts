import { describe, expect, test } from 'vitest';
import { identityApp } from './support.js';

const { call, json, contact } = identityApp();

/** Bob's identity values and attribute in the `n`th test: each test has its own people. */
const bob = (n: number) => ({
  email: `bob${n}@example.com`,
  phone: `+1415555017${n}`,
  externalId: `crm-bob-${n}`,
  attributes: { shoeSize: `bob-${n}-44` },
});
/** What Bob filled in on Alice, who had her own email. */
const filledIn = (b: ReturnType<typeof bob>) => [b.phone, b.externalId, b.attributes.shoeSize];

/** Alice took Bob in, then Carol; Bob was unmerged again: Alice's record of Carol's merge still copied Alice with Bob's values. */
async function aliceBobCarol(n: number) {
  const alice = await contact({ email: `alice${n}@example.com`, attributes: { plan: 'gold' } });
  const bobId = await contact(bob(n));
  const carol = await contact({ email: `carol${n}@example.com` });
  await json('POST', `/api/contacts/${alice}/merge`, { from: bobId });
  await json('POST', `/api/contacts/${alice}/merge`, { from: carol });
  await json('POST', `/api/contacts/${alice}/unmerge`, { from: bobId });
  return { alice, bobId, carol };
}

describe('erasing a contact once merged into another and unmerged', () => {
  test('leaves none of its identity values or attributes in the other contact’s export', async () => {
    const { alice, bobId } = await aliceBobCarol(1);
    const bobValues = filledIn(bob(1));
    const held = JSON.stringify((await json('GET', `/api/contacts/${alice}/export`)).merges);
    expect(bobValues.filter((v) => held.includes(v))).toEqual(bobValues);

    expect((await call('DELETE', `/api/contacts/${bobId}`)).statusCode).toBe(204);
    const after = await json('GET', `/api/contacts/${alice}/export`);
    expect(bobValues.filter((v) => JSON.stringify(after).includes(v))).toEqual([]);
    // Alice's own data stays in the copy of her merge with Carol.
    expect(after.merges.at(-1).survivorBefore).toMatchObject({
      email: 'alice1@example.com',
      attributes: { plan: 'gold' },
    });
  });

  test('the other contact’s later unmerge still gives back what it was', async () => {
    const { alice, bobId, carol } = await aliceBobCarol(2);
    expect((await call('DELETE', `/api/contacts/${bobId}`)).statusCode).toBe(204);
    const { survivor, restored } = await json('POST', `/api/contacts/${alice}/unmerge`, { from: carol });
    expect(survivor).toMatchObject({
      email: 'alice2@example.com',
      phone: null,
      externalId: null,
      attributes: { plan: 'gold' },
    });
    expect(restored).toMatchObject({ email: 'carol2@example.com' });
  });
});
