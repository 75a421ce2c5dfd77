import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../../support/runtime.js';
import { caller, entriesOf, expectRefused, whileAuditRefused } from '../audit-refusal.js';

// teams.md "Audit log": every successful change is appended in the same transaction as the
// change (contact.created, contact.updated, contact.erased). A contact change whose entry
// cannot be written is not made.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const call = (...args: Parameters<ReturnType<typeof caller>>) => caller(t)(...args);
const byEmail = async (email: string) =>
  (
    (
      await call(
        'GET',
        `/api/contacts?segment=${encodeURIComponent(JSON.stringify({ attr: 'email', op: 'eq', value: email }))}`,
      )
    ).json() as {
      contacts: { id: string; attributes: Record<string, unknown> }[];
    }
  ).contacts;

describe('contacts whose change cannot be recorded', () => {
  test('creating one answers 500 and no contact is made', async () => {
    expectRefused(await whileAuditRefused(t, () => call('POST', '/api/contacts', { email: 'never@example.com' })));
    expect(await byEmail('never@example.com')).toEqual([]);
  });

  test('updating one answers 500 and its attributes stay', async () => {
    const made = await call('POST', '/api/contacts', { email: 'kept@example.com', attributes: { plan: 'free' } });
    expect(made.statusCode).toBe(201);
    const res = await whileAuditRefused(t, () =>
      call('POST', '/api/contacts', { email: 'kept@example.com', attributes: { plan: 'pro' } }),
    );
    expectRefused(res);
    expect((await byEmail('kept@example.com'))[0]?.attributes).toMatchObject({ plan: 'free' });
    expect((await entriesOf(t, made.json().id)).map((e) => e.action)).toEqual(['contact.created']);
  });

  test('erasing one answers 500 and the contact is still there', async () => {
    const { id } = (await call('POST', '/api/contacts', { email: 'not-erased@example.com' })).json() as { id: string };
    expectRefused(await whileAuditRefused(t, () => call('DELETE', `/api/contacts/${id}`)));
    expect((await call('GET', `/api/contacts/${id}`)).statusCode).toBe(200);
  });
});

describe("a contact's tags, lists, consent and subscriptions whose change cannot be recorded", () => {
  const contact = async (email: string) => {
    const { id } = (await call('POST', '/api/contacts', { email })).json() as { id: string };
    return { id, read: async () => (await call('GET', `/api/contacts/${id}`)).json() };
  };

  test('adding a tag answers 500 and the contact has no such tag', async () => {
    const c = await contact('untagged@example.com');
    expectRefused(await whileAuditRefused(t, () => call('POST', `/api/contacts/${c.id}/tags`, { tag: 'vip' })));
    expect(JSON.stringify((await c.read()).tags ?? [])).not.toContain('vip');
  });

  test('removing a tag answers 500 and the tag stays active', async () => {
    const c = await contact('still-tagged@example.com');
    await call('POST', `/api/contacts/${c.id}/tags`, { tag: 'vip' });
    expectRefused(await whileAuditRefused(t, () => call('DELETE', `/api/contacts/${c.id}/tags/vip`)));
    expect(JSON.stringify((await c.read()).tags)).toMatch(/"tag":"vip".*"active":true|"active":true.*"tag":"vip"/);
  });

  test('adding to a list answers 500 and the contact is in no such list', async () => {
    const c = await contact('unlisted@example.com');
    expectRefused(await whileAuditRefused(t, () => call('POST', `/api/contacts/${c.id}/lists`, { list: 'news' })));
    expect(JSON.stringify((await c.read()).lists ?? [])).not.toContain('news');
  });

  test('removing from a list answers 500 and the contact stays in it', async () => {
    const c = await contact('still-listed@example.com');
    await call('POST', `/api/contacts/${c.id}/lists`, { list: 'news' });
    expectRefused(await whileAuditRefused(t, () => call('DELETE', `/api/contacts/${c.id}/lists/news`)));
    expect(JSON.stringify((await c.read()).lists)).toContain('news');
  });

  test('setting consent answers 500 and the consent stays as it was', async () => {
    const c = await contact('consent-kept@example.com');
    const before = (await c.read()).consent;
    const body = { channel: 'email', status: 'subscribed', source: 'test' };
    expectRefused(await whileAuditRefused(t, () => call('PUT', `/api/contacts/${c.id}/consent`, body)));
    expect((await c.read()).consent).toEqual(before);
  });

  test('a subscription answers 500 and the contact is not subscribed', async () => {
    const c = await contact('not-subscribed@example.com');
    const body = { status: 'subscribed' };
    expectRefused(await whileAuditRefused(t, () => call('PUT', `/api/contacts/${c.id}/subscriptions/news`, body)));
    expect(JSON.stringify((await c.read()).subscriptions ?? {})).not.toContain('news');
  });
});
