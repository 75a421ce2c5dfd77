import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../../channels/smtp-sink.js';
import { createTestApp, type TestApp } from '../../support/runtime.js';

// A public form is anonymous: whoever posts it proves nothing of the phone or customer number
// typed, so a submission must never change who an existing contact is.
let t: TestApp;
let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
  t = await createTestApp({ PUBLIC_URL: 'https://forms.example.com', SMTP_URL: sink.url });
  const fields = [
    { name: 'email', label: 'Email', type: 'email', required: true, mapTo: 'email' },
    { name: 'phone', label: 'Phone', type: 'tel', mapTo: 'phone' },
    { name: 'customer', label: 'Customer number', type: 'text', mapTo: 'externalId' },
  ];
  await api('PUT', '/api/forms/full', { name: 'Full', fields });
  await api('PUT', '/api/forms/full-doi', {
    name: 'Full, confirmed',
    fields,
    consentText: 'Send me news',
    doubleOptIn: true,
    confirmationFrom: 'news@example.com',
  });
});
afterAll(async () => {
  await t?.close();
  await sink.close();
});

const api = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });
const submit = (id: string, payload: object) => t.app.inject({ method: 'POST', url: `/f/${id}`, payload });
const contact = async (email: string) =>
  (
    await api(
      'GET',
      `/api/contacts?segment=${encodeURIComponent(JSON.stringify({ attr: 'email', op: 'eq', value: email }))}`,
    )
  ).json().contacts[0];
const identity = (c: { email: string; phone: string | null; externalId: string | null }) => ({
  email: c.email,
  phone: c.phone,
  externalId: c.externalId,
});

describe('a public form and the identity of existing contacts', () => {
  test('a stranger naming a contact’s phone gets a contact of their own; the other keeps its email', async () => {
    const victim = (
      await api('POST', '/api/contacts', {
        email: 'victim@example.com',
        phone: '+358401111111',
        externalId: 'cust-1',
        attributes: { vip: true },
      })
    ).json();
    const res = await submit('full', { email: 'attacker@evil.example', phone: '+358401111111', customer: 'cust-1' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ received: true, confirmationRequired: false, redirect: null });
    const kept = (await api('GET', `/api/contacts/${victim.id}`)).json();
    expect(identity(kept)).toEqual({ email: 'victim@example.com', phone: '+358401111111', externalId: 'cust-1' });
    expect(kept.attributes).toEqual({ vip: true });
    const stranger = await contact('attacker@evil.example');
    expect(stranger.id).not.toBe(victim.id);
    expect(identity(stranger)).toEqual({ email: 'attacker@evil.example', phone: null, externalId: null });
  });

  test('a submission naming two known contacts merges nothing, whatever the identity settings', async () => {
    const own = (await api('POST', '/api/contacts', { email: 'mallory@evil.example' })).json();
    const other = (await api('POST', '/api/contacts', { email: 'bob@example.com', phone: '+358402222222' })).json();
    expect((await submit('full', { email: 'mallory@evil.example', phone: '+358402222222' })).statusCode).toBe(202);
    expect(identity((await api('GET', `/api/contacts/${other.id}`)).json())).toEqual({
      email: 'bob@example.com',
      phone: '+358402222222',
      externalId: null,
    });
    const mine = (await api('GET', `/api/contacts/${own.id}`)).json();
    expect(mine.phone).toBeNull();
    expect(mine.mergedFrom).toEqual([]);
  });

  test('a stranger typing a known email with another phone and number changes neither', async () => {
    const held = (
      await api('POST', '/api/contacts', { email: 'carol@example.com', phone: '+358403333333', externalId: 'cust-3' })
    ).json();
    const bare = (await api('POST', '/api/contacts', { email: 'dave@example.com' })).json();
    for (const email of ['carol@example.com', 'dave@example.com'])
      expect((await submit('full', { email, phone: '+358409999999', customer: 'cust-9' })).statusCode).toBe(202);
    expect(identity((await api('GET', `/api/contacts/${held.id}`)).json())).toEqual({
      email: 'carol@example.com',
      phone: '+358403333333',
      externalId: 'cust-3',
    });
    expect(identity((await api('GET', `/api/contacts/${bare.id}`)).json())).toEqual({
      email: 'dave@example.com',
      phone: null,
      externalId: null,
    });
  });

  test('a new signup keeps the phone and customer number it typed when no contact holds them', async () => {
    expect(
      (await submit('full', { email: 'erin@example.com', phone: '+358404444444', customer: 'cust-4' })).statusCode,
    ).toBe(202);
    expect(identity(await contact('erin@example.com'))).toEqual({
      email: 'erin@example.com',
      phone: '+358404444444',
      externalId: 'cust-4',
    });
  });

  test('a double opt-in click fills the contact’s empty phone, never with one another contact holds', async () => {
    await api('POST', '/api/contacts', { email: 'frank@example.com', phone: '+358405555555' });
    const known = (await api('POST', '/api/contacts', { email: 'grace@example.com' })).json();
    for (const [email, phone] of [
      ['grace@example.com', '+358405555555'],
      ['heidi@example.com', '+358406666666'],
    ])
      expect((await submit('full-doi', { email, phone, _consent: 'on' })).statusCode).toBe(202);
    const mails = await sink.waitFor(2);
    for (const mail of mails) {
      const link = /https:\/\/forms\.example\.com(\/f\/confirm\/[^\s"'\]]+)/.exec(mail.html || '')?.[1] ?? '';
      expect((await t.app.inject({ url: link })).statusCode).toBe(200);
    }
    expect((await api('GET', `/api/contacts/${known.id}`)).json().phone).toBeNull();
    expect((await contact('frank@example.com')).phone).toBe('+358405555555');
    expect((await contact('heidi@example.com')).phone).toBe('+358406666666');
  });
});
