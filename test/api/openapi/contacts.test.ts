import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMessagesService } from '../../../engine/messages/service.js';
import { stepScope } from '../../channels/scope.js';
import { type AnswerChecking, createAnswerCheckingApp } from './support.js';

// Every call below is checked against the OpenAPI document by `t.call`: status listed,
// body valid against the listed schema, nothing dropped by the serializer.
let t: AnswerChecking;
let contactId: string;
beforeAll(async () => {
  t = await createAnswerCheckingApp({ PUBLIC_URL: 'https://w.example.com' });
  const created = await api('POST', '/api/contacts', { email: 'doc@example.com', attributes: { plan: 'pro' } });
  contactId = created.json().id;
});
afterAll(() => t?.close());

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

function api(method: string, url: string, payload?: object | string, contentType?: string) {
  const headers = { ...t.auth, ...(contentType ? { 'content-type': contentType } : {}) };
  return t.call({ method, url, headers, ...(payload !== undefined ? { payload } : {}) });
}

describe('the answers of the contact routes match the document', () => {
  test('upsert, read, list and import', async () => {
    expect(
      (await api('POST', '/api/contacts', { email: 'DOC@example.com', timezone: 'Europe/Helsinki' })).statusCode,
    ).toBe(200);
    expect((await api('POST', '/api/contacts', { email: 'not an email' })).statusCode).toBe(400);
    expect((await api('GET', `/api/contacts/${contactId}`)).json().subscriptions).toEqual({});
    expect((await api('GET', `/api/contacts/${UNKNOWN}`)).statusCode).toBe(404);
    const segment = encodeURIComponent(JSON.stringify({ attr: 'plan', op: 'eq', value: 'pro' }));
    expect((await api('GET', `/api/contacts?segment=${segment}&limit=10`)).json().total).toBe(1);
    expect((await api('GET', '/api/contacts?segment=%7Bnope')).statusCode).toBe(400);
    const csv = 'email,plan\nimported@example.com,free\nbroken,free\n';
    const imported = (await api('POST', '/api/contacts/import', csv, 'text/csv')).json();
    expect(imported.failed).toHaveLength(1);
    expect(imported.failedCount).toBe(1);
  });

  test('tags, lists, consent and subscriptions', async () => {
    expect((await api('POST', `/api/contacts/${contactId}/tags`, { tag: 'vip', ttlSeconds: 60 })).statusCode).toBe(200);
    expect((await api('DELETE', `/api/contacts/${contactId}/tags/vip`)).statusCode).toBe(204);
    expect((await api('POST', `/api/contacts/${contactId}/lists`, { list: 'beta' })).statusCode).toBe(200);
    expect((await api('DELETE', `/api/contacts/${contactId}/lists/beta`)).statusCode).toBe(204);
    expect((await api('GET', '/api/tags')).statusCode).toBe(200);
    expect((await api('PUT', '/api/tags/vip', { ttlSeconds: null })).statusCode).toBe(200);
    expect((await api('GET', '/api/lists')).statusCode).toBe(200);
    const consent = { channel: 'sms', status: 'subscribed', source: 'form' };
    expect((await api('PUT', `/api/contacts/${contactId}/consent`, consent)).statusCode).toBe(200);
    const subscription = { status: 'unsubscribed', source: 'preference-center' };
    expect((await api('PUT', `/api/contacts/${contactId}/subscriptions/newsletter`, subscription)).statusCode).toBe(
      200,
    );
    expect(
      (await api('PUT', `/api/contacts/${contactId}/subscriptions/newsletter`, { status: 'gone' })).statusCode,
    ).toBe(400);
    expect((await api('GET', `/api/contacts/${contactId}`)).json().subscriptions.newsletter.status).toBe(
      'unsubscribed',
    );
  });

  test('events, export and erase', async () => {
    const event = { contactId, name: 'purchase', properties: { total: 12 } };
    expect((await api('POST', '/api/events', event)).statusCode).toBe(202);
    expect((await api('POST', '/api/events', { name: 'no identity' })).statusCode).toBe(400);
    expect((await api('GET', `/api/events?contactId=${contactId}&name=purchase`)).json().events).toHaveLength(1);
    expect((await api('GET', `/api/contacts/${contactId}/export`)).statusCode).toBe(200);
    const doomed = (await api('POST', '/api/contacts', { email: 'doomed@example.com' })).json().id;
    expect((await api('DELETE', `/api/contacts/${doomed}`)).statusCode).toBe(204);
    expect((await api('DELETE', `/api/contacts/${doomed}`)).statusCode).toBe(404);
  });
});

describe('the answers of the message and tracking routes match the document', () => {
  test('the message log, click, open and unsubscribe', async () => {
    const scope = await stepScope(t.runtime, { contactId, nodeId: 'mail' });
    const { messageId } = await createMessagesService(scope).send({
      channel: 'email',
      category: 'marketing',
      subscription: 'offers',
      subject: 'Documented',
      html: '<a href="https://shop.example.com/">Shop</a>',
    });
    expect((await api('GET', `/api/messages?contactId=${contactId}`)).json().messages[0].subscription).toBe('offers');
    const message = (await api('GET', `/api/messages/${messageId}`)).json();
    expect((await api('GET', `/api/messages/${UNKNOWN}`)).statusCode).toBe(404);
    const path = (pattern: RegExp) => String(pattern.exec(message.html)?.[1]);
    const click = path(/href="https:\/\/w\.example\.com(\/t\/c\/[^"]+)"/);
    const pixel = path(/src="https:\/\/w\.example\.com(\/t\/o\/[^"]+)"/);
    const unsubscribe = String(message.headers['List-Unsubscribe']).replace(/^<https:\/\/w\.example\.com|>$/g, '');
    expect((await t.call({ method: 'GET', url: click })).statusCode).toBe(302);
    expect((await t.call({ method: 'GET', url: pixel })).statusCode).toBe(200);
    expect((await t.call({ method: 'GET', url: unsubscribe })).statusCode).toBe(200);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const post = { method: 'POST', url: unsubscribe, headers: form, payload: 'scope=category' };
    expect((await t.call(post)).statusCode).toBe(200);
    for (const url of [`${click}x`, `${pixel}x`, `${unsubscribe}x`, `/t/c/${'x'.repeat(3000)}`, '/t/o/%zz'])
      expect((await t.call({ method: 'GET', url })).statusCode).toBe(404);
  });
});

describe('the answers of the credential, lead and settings routes match the document', () => {
  test('credentials', async () => {
    const body = { name: 'Gateway', type: 'sms.http-gateway', data: { url: 'https://sms.example.com/send' } };
    const created = await api('POST', '/api/credentials', body);
    expect(created.statusCode).toBe(201);
    expect((await api('POST', '/api/credentials', { ...body, data: { url: 'nope' } })).statusCode).toBe(400);
    expect((await api('GET', '/api/credentials')).statusCode).toBe(200);
    expect((await api('PUT', `/api/credentials/${created.json().id}`, { name: 'Renamed' })).statusCode).toBe(200);
    expect((await api('DELETE', `/api/credentials/${created.json().id}`)).statusCode).toBe(204);
    expect((await api('DELETE', `/api/credentials/${created.json().id}`)).statusCode).toBe(404);
  });

  test('credential types', async () => {
    expect((await api('GET', '/api/credential-types')).statusCode).toBe(200);
  });

  test('leads and contact rules', async () => {
    expect((await api('GET', '/api/leads?status=open')).statusCode).toBe(200);
    expect((await api('PATCH', `/api/leads/${UNKNOWN}`, { status: 'won' })).statusCode).toBe(404);
    const rules = { quietHours: { start: '21:00', end: '08:00' }, marketing: { maxMessages: 3, period: 'P7D' } };
    expect((await api('PUT', '/api/settings/contact-rules', rules)).statusCode).toBe(200);
    expect((await api('GET', '/api/settings/contact-rules')).json()).toEqual(rules);
    expect((await api('PUT', '/api/settings/contact-rules', { quietHours: { start: '25:00' } })).statusCode).toBe(400);
  });
});
