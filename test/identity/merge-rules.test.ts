import { describe, expect, test } from 'vitest';
import { identityApp } from './support.js';

// contracts/identity.md "Merging contacts": how each part of the two contacts is united.
const { call, json, contact } = identityApp();

const merge = (survivor: string, from: string) => json('POST', `/api/contacts/${survivor}/merge`, { from });
const tag = (id: string, body: object) => json('POST', `/api/contacts/${id}/tags`, body);
type Tag = { tag: string; count: number; firstAddedAt: string; lastAddedAt: string; expiresAt: string | null };
const tagOf = (c: { tags: Tag[] }, name: string) => c.tags.find((t) => t.tag === name);

describe('merging: tags held by both', () => {
  test('count is summed, firstAddedAt the earlier and lastAddedAt the later', async () => {
    const keep = await contact({ email: 'tags-sum-keep@example.com' });
    const gone = await contact({ email: 'tags-sum-gone@example.com' });
    const first = await tag(gone, { tag: 'buyer' });
    await tag(keep, { tag: 'buyer' });
    await tag(keep, { tag: 'buyer' });
    const last = await tag(gone, { tag: 'buyer' });
    const merged = await merge(keep, gone);
    expect(tagOf(merged, 'buyer')).toMatchObject({
      count: 4,
      firstAddedAt: first.firstAddedAt,
      lastAddedAt: last.lastAddedAt,
      active: true,
    });
  });

  test('expiresAt is the later one', async () => {
    const keep = await contact({ email: 'tags-exp-keep@example.com' });
    const gone = await contact({ email: 'tags-exp-gone@example.com' });
    await tag(keep, { tag: 'trial', ttlSeconds: 3600 });
    const later = await tag(gone, { tag: 'trial', ttlSeconds: 7200 });
    expect(tagOf(await merge(keep, gone), 'trial')?.expiresAt).toBe(later.expiresAt);
  });

  test('no expiry counts as the latest', async () => {
    const keep = await contact({ email: 'tags-noexp-keep@example.com' });
    const gone = await contact({ email: 'tags-noexp-gone@example.com' });
    await tag(keep, { tag: 'member', ttlSeconds: 3600 });
    await tag(gone, { tag: 'member' });
    expect(tagOf(await merge(keep, gone), 'member')).toMatchObject({ expiresAt: null, active: true });
  });

  test('the tag is active when either contact’s was', async () => {
    const keep = await contact({ email: 'tags-active-keep@example.com' });
    const gone = await contact({ email: 'tags-active-gone@example.com' });
    await tag(keep, { tag: 'lapsed' });
    expect((await call('DELETE', `/api/contacts/${keep}/tags/lapsed`)).statusCode).toBe(204);
    await tag(gone, { tag: 'lapsed' });
    expect(tagOf(await merge(keep, gone), 'lapsed')).toMatchObject({ count: 2, active: true });
  });

  test('a tag only the merged-away contact holds moves as it is', async () => {
    const keep = await contact({ email: 'tags-move-keep@example.com' });
    const gone = await contact({ email: 'tags-move-gone@example.com' });
    const held = await tag(gone, { tag: 'reader', ttlSeconds: 600 });
    expect(tagOf(await merge(keep, gone), 'reader')).toEqual(held);
  });
});

describe('merging: lists, consent and identity', () => {
  test('a list both hold keeps the earlier addedAt', async () => {
    const keep = await contact({ email: 'lists-keep@example.com' });
    const gone = await contact({ email: 'lists-gone@example.com' });
    const earlier = await json('POST', `/api/contacts/${gone}/lists`, { list: 'weekly' });
    await json('POST', `/api/contacts/${keep}/lists`, { list: 'weekly' });
    await json('POST', `/api/contacts/${keep}/lists`, { list: 'offers' });
    const merged = await merge(keep, gone);
    expect(merged.lists).toEqual(
      expect.arrayContaining([
        { list: 'weekly', addedAt: earlier.addedAt },
        expect.objectContaining({ list: 'offers' }),
      ]),
    );
    expect(merged.lists).toHaveLength(2);
  });

  test('per subscription category, unsubscribed wins and keeps its source and time', async () => {
    const keep = await contact({ email: 'subs-keep@example.com' });
    const gone = await contact({ email: 'subs-gone@example.com' });
    await json('PUT', `/api/contacts/${keep}/subscriptions/newsletter`, { status: 'subscribed', source: 'signup' });
    const left = await json('PUT', `/api/contacts/${gone}/subscriptions/newsletter`, {
      status: 'unsubscribed',
      source: 'link',
    });
    const merged = await merge(keep, gone);
    expect(merged.subscriptions.newsletter).toEqual(left);
  });

  test('per subscription category, subscribed wins over no recorded choice', async () => {
    const keep = await contact({ email: 'subs-unknown-keep@example.com' });
    const gone = await contact({ email: 'subs-unknown-gone@example.com' });
    const chose = await json('PUT', `/api/contacts/${gone}/subscriptions/offers`, { status: 'subscribed' });
    expect((await merge(keep, gone)).subscriptions.offers).toEqual(chose);
  });

  test('equal consent keeps the survivor’s source and time', async () => {
    const keep = await contact({ email: 'consent-eq-keep@example.com' });
    const gone = await contact({ email: 'consent-eq-gone@example.com' });
    const mine = await json('PUT', `/api/contacts/${keep}/consent`, {
      channel: 'sms',
      status: 'subscribed',
      source: 'shop',
    });
    await json('PUT', `/api/contacts/${gone}/consent`, { channel: 'sms', status: 'subscribed', source: 'form' });
    expect((await merge(keep, gone)).consent.sms).toEqual(mine);
  });

  test('createdAt is the earlier; phone, externalId and time zone fill the survivor’s gaps', async () => {
    const gone = await contact({ externalId: 'fill-1', phone: '+358401110101', timezone: 'Europe/Helsinki' });
    const keep = await contact({ email: 'fill-keep@example.com', timezone: 'Europe/Stockholm' });
    const goneCreated = (await json('GET', `/api/contacts/${gone}`)).createdAt;
    expect(await merge(keep, gone)).toMatchObject({
      email: 'fill-keep@example.com',
      phone: '+358401110101',
      externalId: 'fill-1',
      timezone: 'Europe/Stockholm',
      createdAt: goneCreated,
    });
  });
});

describe('mergedFrom', () => {
  test('lists the contacts merged in, newest first, each reversible for 30 days', async () => {
    const keep = await contact({ email: 'mf-keep@example.com' });
    const older = await contact({ email: 'mf-older@example.com', phone: '+358401110401' });
    const newer = await contact({ externalId: 'mf-newer' });
    await merge(keep, older);
    const { mergedFrom } = await merge(keep, newer);
    expect(mergedFrom).toEqual([
      expect.objectContaining({ id: newer, email: null, phone: null, externalId: 'mf-newer', automatic: false }),
      expect.objectContaining({ id: older, email: 'mf-older@example.com', phone: '+358401110401', externalId: null }),
    ]);
    for (const m of mergedFrom as { mergedAt: string; reversibleUntil: string }[])
      expect(Date.parse(m.reversibleUntil) - Date.parse(m.mergedAt)).toBe(30 * 86_400_000);
  });
});

describe('merges that chain', () => {
  test('a contact merged into one that was merged on answers 301 with the last survivor', async () => {
    const first = await contact({ email: 'chain-1@example.com' });
    const middle = await contact({ email: 'chain-2@example.com' });
    const last = await contact({ email: 'chain-3@example.com' });
    await merge(middle, first);
    await merge(last, middle);
    const res = await call('GET', `/api/contacts/${first}`);
    expect(res.statusCode).toBe(301);
    expect(res.headers.location).toBe(`/api/contacts/${last}`);
    expect(res.json()).toEqual({ mergedInto: last });
  });

  test('merging into a merged-away contact is 409 conflict', async () => {
    const a = await contact({ email: 'chain-into-a@example.com' });
    const b = await contact({ email: 'chain-into-b@example.com' });
    const c = await contact({ email: 'chain-into-c@example.com' });
    await merge(a, b);
    const res = await call('POST', `/api/contacts/${b}/merge`, { from: c });
    expect([res.statusCode, res.json().error.code]).toEqual([409, 'conflict']);
  });

  test('unmerging from a contact that is itself merged away is 409 conflict until that is unmerged', async () => {
    const first = await contact({ email: 'chain-un-1@example.com' });
    const middle = await contact({ email: 'chain-un-2@example.com' });
    const last = await contact({ email: 'chain-un-3@example.com' });
    await merge(middle, first);
    await merge(last, middle);
    const refused = await call('POST', `/api/contacts/${middle}/unmerge`, { from: first });
    expect([refused.statusCode, refused.json().error.code]).toEqual([409, 'conflict']);
    await json('POST', `/api/contacts/${last}/unmerge`, { from: middle });
    const { restored } = await json('POST', `/api/contacts/${middle}/unmerge`, { from: first });
    expect(restored).toMatchObject({ id: first, email: 'chain-un-1@example.com' });
  });

  test('unmerging a contact not merged into :id is 404', async () => {
    const a = await contact({ email: 'un-404-a@example.com' });
    const b = await contact({ email: 'un-404-b@example.com' });
    const res = await call('POST', `/api/contacts/${a}/unmerge`, { from: b });
    expect(res.statusCode).toBe(404);
  });

  test('an unmerge records contact.unmerged with the restored id on the survivor', async () => {
    const keep = await contact({ email: 'un-event-keep@example.com' });
    const gone = await contact({ email: 'un-event-gone@example.com' });
    await merge(keep, gone);
    await json('POST', `/api/contacts/${keep}/unmerge`, { from: gone });
    const { events } = await json('GET', `/api/events?contactId=${keep}&name=contact.unmerged`);
    expect(events.map((e: { properties: object }) => e.properties)).toEqual([{ restoredId: gone }]);
  });
});
