import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadContact } from '../../../engine/contacts/load.js';
import { createMessagesService } from '../../../engine/messages/service.js';
import { defaultWorkspaceId } from '../../../server/teams/accounts/users.js';
import { eventsOf as eventsIn, insertContact, stepScope } from '../../channels/scope.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://w.example.com' });
});
afterAll(() => t?.close());

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

const newContact = () => insertContact(t.runtime, { email: `${randomUUID()}@example.com` });

const put = (contactId: string, category: string, payload: object) =>
  t.app.inject({
    method: 'PUT',
    url: `/api/contacts/${contactId}/subscriptions/${category}`,
    headers: t.auth,
    payload,
  });

const eventsOf = (contactId: string, name: string) => eventsIn(t.runtime, contactId, name);

/** Sends a marketing email (of `subscription`, when given) and returns the path of its unsubscribe link. */
async function unsubscribeLink(contactId: string, subscription?: string) {
  const { messageId } = await createMessagesService(await stepScope(t.runtime, { contactId })).send({
    channel: 'email',
    category: 'marketing',
    ...(subscription ? { subscription } : {}),
    subject: 'News',
    html: '<p>News</p>',
  });
  const row = await t.runtime.db
    .selectFrom('messages')
    .select('headers')
    .where('id', '=', messageId)
    .executeTakeFirstOrThrow();
  return String(row.headers['List-Unsubscribe']).replace(/^<https:\/\/w\.example\.com|>$/g, '');
}

const postForm = (url: string, payload: string) =>
  t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload });

const send = async (contactId: string, subscription: string) =>
  createMessagesService(await stepScope(t.runtime, { contactId })).send({
    channel: 'email',
    category: 'marketing',
    subscription,
    subject: 'Again',
    html: '<p>Again</p>',
  });

describe('PUT /api/contacts/:id/subscriptions/:category', () => {
  test('unsubscribes the contact from one category, shown on the contact', async () => {
    const id = await newContact();
    const res = await put(id, 'newsletter', { status: 'unsubscribed', source: 'preference-center' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'unsubscribed', source: 'preference-center', at: expect.any(String) });
    const contact = (await t.app.inject({ method: 'GET', url: `/api/contacts/${id}`, headers: t.auth })).json();
    expect(contact.subscriptions).toEqual({ newsletter: res.json() });
    expect(contact.consent.email.status).toBe('unknown');
  });

  test('records subscription.changed once per change', async () => {
    const id = await newContact();
    await put(id, 'newsletter', { status: 'unsubscribed' });
    await put(id, 'newsletter', { status: 'unsubscribed' });
    await put(id, 'newsletter', { status: 'subscribed', source: 'form' });
    expect((await eventsOf(id, 'subscription.changed')).map((e) => e.properties)).toEqual([
      { category: 'newsletter', status: 'unsubscribed', previous: null },
      { category: 'newsletter', status: 'subscribed', previous: 'unsubscribed', source: 'form' },
    ]);
  });

  test('keeps the other categories as they were', async () => {
    const id = await newContact();
    await put(id, 'newsletter', { status: 'unsubscribed' });
    await put(id, 'offers', { status: 'subscribed' });
    const subscriptions =
      (await loadContact(t.runtime.db, await defaultWorkspaceId(t.runtime.db), id))?.subscriptions ?? {};
    expect(Object.fromEntries(Object.entries(subscriptions).map(([k, v]) => [k, v.status]))).toEqual({
      newsletter: 'unsubscribed',
      offers: 'subscribed',
    });
  });

  test('refuses a category that is not a plain name, naming the field', async () => {
    const id = await newContact();
    for (const category of ['news%20letter', '-leading', 'x'.repeat(65)]) {
      const res = await put(id, category, { status: 'unsubscribed' });
      expect(res.statusCode, category).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: '/category' }] });
    }
  });

  test('refuses an unknown status or an unknown field', async () => {
    const id = await newContact();
    const wrong = await put(id, 'newsletter', { status: 'maybe' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.details[0].path).toBe('/status');
    const missing = await put(id, 'newsletter', {});
    expect(missing.json().error.details[0].path).toBe('/status');
    expect((await put(id, 'newsletter', { status: 'subscribed', channel: 'email' })).statusCode).toBe(400);
  });

  test('answers 404 for an unknown contact and 401 without a token', async () => {
    expect((await put(UNKNOWN, 'newsletter', { status: 'unsubscribed' })).statusCode).toBe(404);
    const res = await t.app.inject({
      method: 'PUT',
      url: `/api/contacts/${UNKNOWN}/subscriptions/newsletter`,
      payload: { status: 'unsubscribed' },
    });
    expect(res.statusCode).toBe(401);
  });
});

describe('the unsubscribe page of a categorised email', () => {
  test('offers leaving the category alone or all marketing email', async () => {
    const link = await unsubscribeLink(await newContact(), 'newsletter');
    const page = await t.app.inject({ method: 'GET', url: link });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Unsubscribe from newsletter');
    expect(page.body).toContain('name="scope" value="category"');
    expect(page.body).toContain('Unsubscribe from all marketing email');
  });

  test('scope=category unsubscribes from that category only', async () => {
    const id = await newContact();
    const link = await unsubscribeLink(id, 'newsletter');
    const res = await postForm(link, 'scope=category');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('unsubscribed from newsletter');
    const contact = await loadContact(t.runtime.db, await defaultWorkspaceId(t.runtime.db), id);
    expect(contact?.subscriptions?.newsletter).toMatchObject({ status: 'unsubscribed', source: 'unsubscribe-link' });
    expect(contact?.consent.email.status).toBe('unknown');
    expect((await eventsOf(id, 'email.unsubscribed'))[0]?.properties).toMatchObject({ subscription: 'newsletter' });
    expect(await send(id, 'newsletter')).toMatchObject({ status: 'suppressed', reason: 'unsubscribed' });
    expect((await send(id, 'offers')).status).toBe('sent');
  });

  test('a one-click POST still unsubscribes from all marketing email', async () => {
    const id = await newContact();
    const link = await unsubscribeLink(id, 'newsletter');
    const res = await postForm(link, 'List-Unsubscribe=One-Click');
    expect(res.statusCode).toBe(200);
    expect((await loadContact(t.runtime.db, await defaultWorkspaceId(t.runtime.db), id))?.consent.email.status).toBe(
      'unsubscribed',
    );
    expect((await send(id, 'offers')).reason).toBe('unsubscribed');
  });

  test('an email without a category offers, and takes, all marketing email only', async () => {
    const id = await newContact();
    const link = await unsubscribeLink(id);
    expect((await t.app.inject({ method: 'GET', url: link })).body).not.toContain('scope');
    await postForm(link, 'scope=category');
    expect((await loadContact(t.runtime.db, await defaultWorkspaceId(t.runtime.db), id))?.consent.email.status).toBe(
      'unsubscribed',
    );
  });
});
