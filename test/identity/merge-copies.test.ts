import { describe, expect, test } from 'vitest';
import { identityApp } from './support.js';

const { app, call, json, contact } = identityApp();

/** Bob's identity values and attribute in the `n`th test (each test has its own people), and his tag. */
const bob = (n: number) => ({
  email: `bob${n}@example.com`,
  phone: `+1415555017${n}`,
  externalId: `crm-bob-${n}`,
  attributes: { shoeSize: `bob-${n}-44` },
});
const bobTag = (n: number) => `bob-${n}-tag`;
/** What Bob filled in on Alice, who had her own email, and the tag only he held. */
const filledIn = (n: number) => [bob(n).phone, bob(n).externalId, bob(n).attributes.shoeSize, bobTag(n)];

/** Alice took Bob in, then Carol; Bob was unmerged again: Alice's record of Carol's merge still copied Alice with Bob's values. */
async function aliceBobCarol(n: number) {
  const alice = await contact({ email: `alice${n}@example.com`, attributes: { plan: 'gold' } });
  const bobId = await contact(bob(n));
  const carol = await contact({ email: `carol${n}@example.com` });
  await json('POST', `/api/contacts/${alice}/tags`, { tag: 'alice-tag' });
  await json('POST', `/api/contacts/${bobId}/tags`, { tag: bobTag(n) });
  await json('POST', `/api/contacts/${alice}/merge`, { from: bobId });
  await json('POST', `/api/contacts/${alice}/merge`, { from: carol });
  await json('POST', `/api/contacts/${alice}/unmerge`, { from: bobId });
  return { alice, bobId, carol };
}

describe('unmerging a contact takes what it filled in out of the copies the survivor’s other merges keep', () => {
  test('the survivor’s export no longer shows its identity values, attributes or tags as the survivor’s', async () => {
    const { alice } = await aliceBobCarol(1);
    const export_ = await json('GET', `/api/contacts/${alice}/export`);
    expect(filledIn(1).filter((v) => JSON.stringify(export_).includes(v))).toEqual([]);
    // Alice's own data stays in the copy of her merge with Carol.
    expect(export_.merges.at(-1).survivorBefore).toMatchObject({
      email: 'alice1@example.com',
      attributes: { plan: 'gold' },
      tags: [expect.objectContaining({ tag: 'alice-tag' })],
    });
  });

  test('erasing it leaves none of its values in copies kept before unmerges took them out', async () => {
    const { alice, bobId } = await aliceBobCarol(2);
    // As a version before this one kept it: the copy of Alice's merge with Carol holds Bob's values.
    await app().runtime.pool.query(
      `update contact_merges m set survivor_before = b.survivor_after, survivor_after = b.survivor_after
      from contact_merges b where b.merged_id = $1 and m.survivor_id = b.survivor_id and m.id <> b.id`,
      [bobId],
    );
    const held = JSON.stringify(await json('GET', `/api/contacts/${alice}/export`));
    expect(filledIn(2).filter((v) => held.includes(v))).toEqual(filledIn(2));

    expect((await call('DELETE', `/api/contacts/${bobId}`)).statusCode).toBe(204);
    const export_ = JSON.stringify(await json('GET', `/api/contacts/${alice}/export`));
    expect([...filledIn(2), bob(2).email].filter((v) => export_.includes(v))).toEqual([]);
    expect(export_).toContain('alice2@example.com');
  });

  test('the survivor’s later unmerge still gives back what it was', async () => {
    const { alice, carol } = await aliceBobCarol(3);
    const { survivor, restored } = await json('POST', `/api/contacts/${alice}/unmerge`, { from: carol });
    expect(survivor).toMatchObject({
      email: 'alice3@example.com',
      phone: null,
      externalId: null,
      attributes: { plan: 'gold' },
    });
    expect(restored).toMatchObject({ email: 'carol3@example.com' });
  });
});

/** Bob's list and his consent and subscription choices in the `n`th test, by names no one else uses. */
const bobChoices = (n: number) => ({
  list: `bob-${n}-list`,
  consentSource: `bob-${n}-link`,
  subscriptionSource: `bob-${n}-form`,
});

/** As `aliceBobCarol`, with Bob on a list and having chosen email consent and a subscription. */
async function aliceBobCarolWithChoices(n: number) {
  const alice = await contact({ email: `alice${n}@example.com` });
  const bobId = await contact({ email: `bob${n}@example.com` });
  const carol = await contact({ email: `carol${n}@example.com` });
  const { list, consentSource, subscriptionSource } = bobChoices(n);
  await json('POST', `/api/contacts/${alice}/lists`, { list: 'alice-list' });
  await json('POST', `/api/contacts/${bobId}/lists`, { list });
  await json('PUT', `/api/contacts/${bobId}/consent`, {
    channel: 'email',
    status: 'unsubscribed',
    source: consentSource,
  });
  await json('PUT', `/api/contacts/${bobId}/subscriptions/offers`, {
    status: 'subscribed',
    source: subscriptionSource,
  });
  await json('POST', `/api/contacts/${alice}/merge`, { from: bobId });
  await json('POST', `/api/contacts/${alice}/merge`, { from: carol });
  await json('POST', `/api/contacts/${alice}/unmerge`, { from: bobId });
  return { alice, bobId, carol };
}

describe('unmerging a contact takes its lists and consent out of the copies the survivor’s other merges keep', () => {
  test('the survivor’s export no longer shows its lists or consent choices as the survivor’s', async () => {
    const { alice } = await aliceBobCarolWithChoices(4);
    const export_ = await json('GET', `/api/contacts/${alice}/export`);
    const bobs = Object.values(bobChoices(4));
    expect(bobs.filter((v) => JSON.stringify(export_).includes(v))).toEqual([]);
    expect(export_.merges.at(-1).survivorBefore.lists).toEqual([expect.objectContaining({ list: 'alice-list' })]);
  });

  test('erasing it leaves none of its lists or choices in the survivor’s export', async () => {
    const { alice, bobId } = await aliceBobCarolWithChoices(5);
    expect((await call('DELETE', `/api/contacts/${bobId}`)).statusCode).toBe(204);
    const export_ = JSON.stringify(await json('GET', `/api/contacts/${alice}/export`));
    expect(Object.values(bobChoices(5)).filter((v) => export_.includes(v))).toEqual([]);
  });

  test('the survivor’s later unmerge gives back its own lists and consent, none of the unmerged contact’s', async () => {
    const { alice, carol } = await aliceBobCarolWithChoices(6);
    const { survivor, restored } = await json('POST', `/api/contacts/${alice}/unmerge`, { from: carol });
    expect(survivor.lists).toEqual([expect.objectContaining({ list: 'alice-list' })]);
    expect(survivor.consent.email.status).toBe('unknown');
    expect(survivor.subscriptions?.offers).toBeUndefined();
    expect(restored.lists).toEqual([]);
  });
});
