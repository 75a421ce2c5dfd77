import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorker, type WorkerHandle } from '../../../engine/worker/start-worker.js';
import { type SmtpSink, startSmtpSink } from '../../channels/smtp-sink.js';
import { e, eventually, n } from '../../engine/support.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

let t: TestApp;
let sink: SmtpSink;
let worker: WorkerHandle;
beforeAll(async () => {
  sink = await startSmtpSink();
  t = await createTestApp({ PUBLIC_URL: 'https://forms.example.com', SMTP_URL: sink.url });
  worker = await startWorker(t.runtime, { retry: { retryBaseMs: 100 }, pollInterval: 200 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await sink.close();
});

const api = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });
const contactByEmail = async (email: string) =>
  (
    await api(
      'GET',
      `/api/contacts?segment=${encodeURIComponent(JSON.stringify({ attr: 'email', op: 'eq', value: email }))}`,
    )
  ).json().contacts[0];
const confirmPath = (text: string) => /https:\/\/forms\.example\.com(\/f\/confirm\/[^\s"'\]]+)/.exec(text)?.[1] ?? '';

describe('a signup with double opt-in', () => {
  test('stays pending until the link is clicked; then it is subscribed with proof and the journey’s first email goes out', async () => {
    await api('PUT', '/api/templates/confirm-mail', {
      name: 'Confirm',
      format: 'html',
      subject: 'Confirm, {{ submission.firstName }}',
      body: '<p>Hi {{ submission.firstName }}, please <a href="{{ confirmUrl }}">confirm</a> for {{ form.name }}.</p>',
    });
    await api('PUT', '/api/forms/doi', {
      name: 'Weekly news',
      fields: [
        { name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' },
        { name: 'firstName', label: 'First name', type: 'text', mapTo: 'attributes.firstName' },
      ],
      consentText: 'Send me the weekly news',
      lists: ['weekly'],
      doubleOptIn: true,
      confirmationTemplateId: 'confirm-mail',
      confirmationFrom: 'News <news@example.com>',
    });
    const journey = await api('POST', '/api/journeys', {
      name: 'Welcome signups',
      graph: {
        nodes: [
          n('on', 'core.event', { event: 'form.submitted', filter: { attr: 'formId', op: 'eq', value: 'doi' } }),
          n('hi', 'email.send', {
            from: 'News <news@example.com>',
            subject: 'Welcome {{ contact.attributes.firstName }}',
            html: '<p>Welcome!</p>',
            category: 'marketing',
          }),
        ],
        edges: [e('on', 'hi')],
      },
    });
    expect((await api('POST', `/api/journeys/${journey.json().id}/publish`)).statusCode).toBe(201);

    const submitted = await t.app.inject({
      method: 'POST',
      url: '/f/doi',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Browser/1' },
      payload: 'email=lin%40example.com&firstName=Lin&_consent=on&_hp=',
    });
    expect(submitted.statusCode).toBe(200);
    expect(submitted.body).toContain('Check your inbox');
    const pending = await contactByEmail('lin@example.com');
    expect(pending.consent.email.status).toBe('pending');
    expect(pending.attributes).toEqual({});
    expect(pending.lists).toEqual([]);

    const [mail] = await sink.waitFor(1);
    expect(mail?.subject).toBe('Confirm, Lin');
    expect(mail?.to).toMatchObject({ text: 'lin@example.com' });
    const link = confirmPath(mail?.html || '');
    expect(link).not.toBe('');

    // A repeat within 10 minutes sends nothing more.
    await t.app.inject({
      method: 'POST',
      url: '/f/doi',
      payload: { email: 'lin@example.com', firstName: 'Lin', _consent: true },
    });

    const confirmed = await t.app.inject({ url: link, headers: { 'user-agent': 'Phone/2' } });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.body).toContain('Subscription confirmed');
    const contact = await contactByEmail('lin@example.com');
    expect(contact.consent.email).toMatchObject({
      status: 'subscribed',
      source: 'form:doi',
      proof: { text: 'Send me the weekly news', userAgent: 'Browser/1', confirmUserAgent: 'Phone/2', formVersion: 1 },
    });
    expect(contact.consent.email.proof.confirmedAt).toEqual(expect.any(String));
    expect(contact.attributes).toEqual({ firstName: 'Lin' });
    expect(contact.lists.map((l: { list: string }) => l.list)).toEqual(['weekly']);

    const names = (await api('GET', `/api/events?contactId=${contact.id}`))
      .json()
      .events.map((ev: { name: string }) => ev.name);
    expect(names).toEqual(expect.arrayContaining(['form.submitted', 'consent.confirmed']));

    const mails = await sink.waitFor(2);
    expect(mails[1]?.subject).toBe('Welcome Lin');
    expect(sink.mails).toHaveLength(2);

    const exported = await api('GET', `/api/contacts/${contact.id}/export`);
    expect(exported.json().consents).toEqual([
      expect.objectContaining({ status: 'subscribed', formId: 'doi', confirmUserAgent: 'Phone/2' }),
    ]);
  });

  test('a second visit shows the same page and changes nothing; an altered link is 404', async () => {
    const link = confirmPath(sink.mails[0]?.html || '');
    const before = (await contactByEmail('lin@example.com')).consent.email.at;
    const again = await t.app.inject({ url: link });
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('Subscription confirmed');
    expect((await contactByEmail('lin@example.com')).consent.email.at).toBe(before);
    expect((await t.app.inject({ url: `${link.slice(0, -2)}xx` })).statusCode).toBe(404);
  });

  test('marketing mail to a pending contact is suppressed with no-consent', async () => {
    await t.app.inject({ method: 'POST', url: '/f/doi', payload: { email: 'wait@example.com', _consent: 'yes' } });
    const contact = await contactByEmail('wait@example.com');
    expect(contact.consent.email.status).toBe('pending');
    const messages = await eventually(async () => {
      const res = (await api('GET', `/api/messages?contactId=${contact.id}`)).json().messages;
      return res.length ? res : undefined;
    });
    expect(messages).toEqual([expect.objectContaining({ category: 'transactional', runId: null, nodeId: null })]);
  });
});
