import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMessagesService } from '../../engine/messages/service.js';
import { insertContact, stepScope } from '../channels/scope.js';
import {
  DOMAIN,
  deliveryReport,
  eventsOf,
  type InboundTest,
  inboundApp,
  mergeInto,
  postMail,
  sendTo,
  sendToNewContact,
} from './support.js';

let t: InboundTest;
beforeAll(async () => {
  t = await inboundApp();
});
afterAll(() => t.close());

/** Sends again to the contact and answers what the messages API shows of that send. */
async function nextSend(contactId: string) {
  const result = await createMessagesService(await stepScope(t.runtime, { contactId })).send({
    channel: 'email',
    category: 'transactional',
    subject: 'Your receipt',
    html: '<p>Thanks</p>',
  });
  const res = await t.app.inject({ method: 'GET', url: `/api/messages/${result.messageId}`, headers: t.auth });
  return res.json() as { status: string; reason?: string };
}

const contact = async (id: string) =>
  (await t.app.inject({ method: 'GET', url: `/api/contacts/${id}`, headers: t.auth })).json();

describe('delivery reports', () => {
  // contracts/identity.md: a merge moves the contact's messages, and its email means the survivor.
  test('a report on an email sent before its contact was merged away records email.bounced on the survivor', async () => {
    const { contactId: gone, sent } = await sendToNewContact(t, 'merged-bounce@example.org');
    const keep = await insertContact(t.runtime, { email: 'survivor-bounce@example.org' });
    await mergeInto(t, keep, gone);
    const res = await postMail(t, deliveryReport(sent, { status: '5.1.1' }));
    expect(res.json()).toMatchObject({ outcome: 'bounced', messageId: sent.messageId });
    const events = await eventsOf(t, keep, 'email.bounced');
    expect(events.map((e) => e.properties.kind)).toEqual(['hard']);
  });

  test('a hard bounce records email.bounced and suppresses the next send with reason bounced', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'gone@example.org');
    const res = await postMail(t, deliveryReport(sent, { status: '5.1.1' }));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ outcome: 'bounced', messageId: sent.messageId });
    const [event] = await eventsOf(t, contactId, 'email.bounced');
    expect(event?.properties).toEqual({ messageId: sent.messageId, nodeId: 'offer', kind: 'hard', status: '5.1.1' });
    expect(await nextSend(contactId)).toMatchObject({ status: 'suppressed', reason: 'bounced' });
  });

  test('the contact shows its address as undeliverable', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'shown@example.org');
    expect((await contact(contactId)).emailUndeliverable).toBeNull();
    await postMail(t, deliveryReport(sent, { status: '5.2.1', returned: 'message' }));
    expect((await contact(contactId)).emailUndeliverable).toEqual({
      reason: 'bounced',
      status: '5.2.1',
      at: expect.any(String),
    });
  });

  test('a report sent to the plain bounce address is matched by the returned headers', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'plain-bounce@example.org');
    await postMail(t, deliveryReport(sent, { status: '5.1.1', to: `bounce@${DOMAIN}` }));
    expect(await eventsOf(t, contactId, 'email.bounced')).toHaveLength(1);
  });

  test('one soft bounce records a soft email.bounced and mail still goes out', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'full@example.org');
    await postMail(t, deliveryReport(sent, { status: '4.2.2' }));
    const [event] = await eventsOf(t, contactId, 'email.bounced');
    expect(event?.properties).toMatchObject({ kind: 'soft', status: '4.2.2' });
    expect(await nextSend(contactId)).toMatchObject({ status: 'sent' });
  });

  test('three soft bounces in a row count as hard', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'always-full@example.org');
    const more = [await sendTo(t, contactId), await sendTo(t, contactId)];
    for (const mail of [sent, ...more]) await postMail(t, deliveryReport(mail, { status: '4.2.2' }));
    const kinds = (await eventsOf(t, contactId, 'email.bounced')).map((e) => e.properties.kind);
    expect(kinds.sort()).toEqual(['hard', 'soft', 'soft']);
    expect(await nextSend(contactId)).toMatchObject({ status: 'suppressed', reason: 'bounced' });
  });

  test('an email delivered between soft bounces breaks the row', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'sometimes-full@example.org');
    await sendTo(t, contactId); // delivered: no report comes for it
    const more = [await sendTo(t, contactId), await sendTo(t, contactId)];
    for (const mail of [sent, ...more]) await postMail(t, deliveryReport(mail, { status: '4.2.2' }));
    expect(await nextSend(contactId)).toMatchObject({ status: 'sent' });
  });

  test('a delay warning records nothing', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'slow@example.org');
    const res = await postMail(t, deliveryReport(sent, { status: '4.4.7', action: 'delayed' }));
    expect(res.json()).toMatchObject({ outcome: 'ignored' });
    expect(await eventsOf(t, contactId, 'email.bounced')).toEqual([]);
  });

  test('mail to the bounce address that is no delivery report records nothing', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'not-a-report@example.org');
    const raw =
      `From: postmaster@mx.example.net\r\nTo: ${sent.envelope.from}\r\nSubject: Re: Spring offer\r\n` +
      `In-Reply-To: ${sent.mail.messageId}\r\n\r\nSomething went wrong.\r\n`;
    expect((await postMail(t, raw)).json()).toMatchObject({ outcome: 'ignored' });
    expect(await eventsOf(t, contactId, 'email.replied')).toEqual([]);
  });
});

describe('clearing an undeliverable address', () => {
  test('a new address takes mail again', async () => {
    const upsert = (email: string) =>
      t.app.inject({ method: 'POST', url: '/api/contacts', headers: t.auth, payload: { externalId: 'crm-7', email } });
    const contactId = (await upsert('old-address@example.org')).json().id as string;
    await postMail(t, deliveryReport(await sendTo(t, contactId), { status: '5.1.1' }));
    expect((await contact(contactId)).emailUndeliverable).toMatchObject({ reason: 'bounced' });
    const res = await upsert('new-address@example.org');
    expect(res.json().emailUndeliverable).toBeNull();
    expect(await nextSend(contactId)).toMatchObject({ status: 'sent' });
  });

  test('an explicit API update declares the address deliverable again', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'fixed@example.org');
    await postMail(t, deliveryReport(sent, { status: '5.1.1' }));
    expect(await nextSend(contactId)).toMatchObject({ reason: 'bounced' });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: t.auth,
      payload: { email: 'fixed@example.org', emailUndeliverable: null },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().emailUndeliverable).toBeNull();
    expect(await nextSend(contactId)).toMatchObject({ status: 'sent' });
  });

  test('an update that does not say so leaves the address undeliverable', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'still-gone@example.org');
    await postMail(t, deliveryReport(sent, { status: '5.1.1' }));
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/contacts',
      headers: t.auth,
      payload: { email: 'still-gone@example.org', attributes: { plan: 'pro' } },
    });
    expect(res.json().emailUndeliverable).toMatchObject({ reason: 'bounced' });
    expect(await nextSend(contactId)).toMatchObject({ reason: 'bounced' });
  });
});
