import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createContactsService } from '../../../engine/contacts/service.js';
import { insertContact, stepScope } from '../../channels/scope.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// A step's services act for its own run's contact (contract packages.md "Isolation and reach"):
// a node, built-in or installed, cannot read or change another contact of its workspace.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const refused = /acts only for the run's own contact/;

/** The contact as a step starts with it (its `scope.contact`). */
const contacts0 = async (id: string) =>
  (await createContactsService(await stepScope(t.runtime, { contactId: id })).get(id)) ?? undefined;

describe("ctx.contacts of a run's step", () => {
  test('reads and changes the run’s own contact', async () => {
    const own = await insertContact(t.runtime, { email: 'own@example.com' });
    const contacts = createContactsService(await stepScope(t.runtime, { contactId: own }));
    await contacts.addTag(own, 'seen');
    expect((await contacts.get(own))?.tags.map((x) => x.tag)).toEqual(['seen']);
  });

  test('matches its own contact as the step has written it, as a test run does', async () => {
    const own = await insertContact(t.runtime, { email: 'written@example.com' });
    const scope = await stepScope(t.runtime, { contactId: own });
    const contacts = createContactsService({ ...scope, contact: await contacts0(own) });
    const asks = { trigger: {}, steps: {} };
    expect(await contacts.matches(own, { attr: 'plan', op: 'eq', value: 'platinum' }, asks)).toBe(false);
    await contacts.update(own, { attributes: { plan: 'platinum' } });
    expect(await contacts.matches(own, { attr: 'plan', op: 'eq', value: 'platinum' }, asks)).toBe(true);
    await contacts.addTag(own, 'vip');
    expect(await contacts.matches(own, { tag: 'vip', op: 'has' }, asks)).toBe(true);
  });

  test('refuses every call naming another contact, which stays as it was', async () => {
    const own = await insertContact(t.runtime, { email: 'mine@example.com' });
    const other = await insertContact(t.runtime, { email: 'victim@example.com' });
    const contacts = createContactsService(await stepScope(t.runtime, { contactId: own }));
    await expect(contacts.get(other)).rejects.toThrow(refused);
    await expect(contacts.update(other, { attributes: { secret: 'x' } })).rejects.toThrow(refused);
    await expect(contacts.addTag(other, 'hacked')).rejects.toThrow(refused);
    await expect(contacts.removeTag(other, 'vip')).rejects.toThrow(refused);
    await expect(contacts.addToList(other, 'list')).rejects.toThrow(refused);
    await expect(contacts.removeFromList(other, 'list')).rejects.toThrow(refused);
    await expect(contacts.recordEvent(other, 'spoofed', {})).rejects.toThrow(refused);
    await expect(contacts.matches(other, { attr: 'a', op: 'exists' }, { trigger: {}, steps: {} })).rejects.toThrow(
      refused,
    );
    const victim = await createContactsService(await stepScope(t.runtime, { contactId: other })).get(other);
    expect(victim).toMatchObject({ attributes: {}, tags: [], lists: [] });
  });

  test('a run without a contact reaches none', async () => {
    const someone = await insertContact(t.runtime, { email: 'someone@example.com' });
    const contacts = createContactsService(await stepScope(t.runtime));
    await expect(contacts.addTag(someone, 'x')).rejects.toThrow(refused);
  });
});
