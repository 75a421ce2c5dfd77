import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { insertContact } from '../channels/scope.js';
import {
  composeMail,
  DOMAIN,
  eventsOf,
  type InboundTest,
  inboundApp,
  mergeInto,
  postMail,
  replyTo,
  sendToNewContact,
} from './support.js';

let t: InboundTest;
beforeAll(async () => {
  t = await inboundApp();
});
afterAll(() => t.close());

const quoted = (text: string) =>
  `${text}\n\nOn Tue, Jan 6, 2026 at 10:00 AM News <news@example.com> wrote:\n> Our spring offer\n> See you soon\n`;

describe('replies to sent email', () => {
  test('every sent email carries a reply address naming it, and its delivery reports a bounce address', async () => {
    const { sent } = await sendToNewContact(t, 'reply-to@example.com');
    expect(sent.replyTo).toMatch(new RegExp(`^reply\\+[0-9a-f]{32}\\.[\\w-]{22}@${DOMAIN}$`));
    expect(sent.envelope.from).toMatch(new RegExp(`^bounce\\+[0-9a-f]{32}\\.[\\w-]{22}@${DOMAIN}$`));
  });

  test('a replyTo param wins over the reply address', async () => {
    const { sent } = await sendToNewContact(t, 'own-reply-to@example.com', { replyTo: 'desk@example.com' });
    expect(sent.replyTo).toBe('desk@example.com');
  });

  test('a reply records email.replied with only the new text', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'replier@example.com');
    const res = await postMail(
      t,
      await replyTo(sent, { text: quoted('Yes please, call me.\n\n-- \nAnn Replier\nACME') }),
    );
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ outcome: 'replied', messageId: sent.messageId });
    const [event] = await eventsOf(t, contactId, 'email.replied');
    expect(event?.properties).toEqual({
      messageId: sent.messageId,
      nodeId: 'offer',
      subject: 'Re: Spring offer',
      text: 'Yes please, call me.',
    });
  });

  // contracts/identity.md: a merge moves the contact's messages, and its email means the survivor.
  test('a reply to an email sent before its contact was merged away records email.replied on the survivor', async () => {
    const { contactId: gone, sent } = await sendToNewContact(t, 'merged-replier@example.com');
    const keep = await insertContact(t.runtime, { email: 'survivor-replier@example.com' });
    await mergeInto(t, keep, gone);
    const res = await postMail(t, await replyTo(sent, { text: 'Yes, still interested.' }));
    expect(res.json()).toMatchObject({ outcome: 'replied', messageId: sent.messageId });
    const events = await eventsOf(t, keep, 'email.replied');
    expect(events.map((e) => e.properties.text)).toEqual(['Yes, still interested.']);
  });
});

describe('replies in other charsets and formats', () => {
  test('an ISO-8859-1 quoted-printable reply keeps its letters', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'latin1@example.com');
    const raw =
      `From: =?ISO-8859-1?Q?=C4ino?= <latin1@example.com>\r\nTo: ${sent.replyTo}\r\n` +
      `Subject: =?ISO-8859-1?Q?Re:_Spring_offer_=E4?=\r\nIn-Reply-To: ${sent.mail.messageId}\r\nMIME-Version: 1.0\r\n` +
      'Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' +
      'Hyv=E4=E4 p=E4iv=E4=E4, kiitos tarjouksesta!\r\n\r\n' +
      'ti 6.1.2026 klo 10.00 News <news@example.com> kirjoitti:\r\n> Our spring offer\r\n';
    expect((await postMail(t, raw)).statusCode).toBe(202);
    const [event] = await eventsOf(t, contactId, 'email.replied');
    expect(event?.properties).toMatchObject({
      subject: 'Re: Spring offer ä',
      text: 'Hyvää päivää, kiitos tarjouksesta!',
    });
  });

  test('a UTF-8 base64 reply keeps its letters', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'utf8@example.com');
    const body = Buffer.from(
      'Grüße aus München — ja, gerne! 👍\n\nAm Di., 6. Jan. 2026 um 10:00 Uhr schrieb News <news@example.com>:\n> Our spring offer\n',
    ).toString('base64');
    const raw =
      `From: utf8@example.com\r\nTo: ${sent.replyTo}\r\nSubject: Re: Spring offer\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${body.replace(/.{76}/g, '$&\r\n')}\r\n`;
    expect((await postMail(t, raw)).statusCode).toBe(202);
    const [event] = await eventsOf(t, contactId, 'email.replied');
    expect(event?.properties.text).toBe('Grüße aus München — ja, gerne! 👍');
  });

  test('an HTML-only reply is recorded as text, without the quoted history', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'html-only@example.com');
    const html =
      '<div dir="ltr">Yes please, <b>call</b> me.<div><br></div><div>Ann</div></div><br>' +
      '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, Jan 6, 2026 at 10:00 AM News &lt;news@example.com&gt; wrote:<br></div>' +
      '<blockquote class="gmail_quote"><p>Our spring offer</p><p>See you</p></blockquote></div>';
    expect((await postMail(t, await replyTo(sent, { html }))).statusCode).toBe(202);
    const [event] = await eventsOf(t, contactId, 'email.replied');
    expect(event?.properties.text).toBe('Yes please, call me.\n\nAnn');
  });

  test('an Outlook HTML reply drops the quoted header block', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'outlook@example.com');
    const html =
      '<div>Sounds good, send the details.</div><hr><div id="divRplyFwdMsg"><b>From:</b> News &lt;news@example.com&gt;<br>' +
      '<b>Sent:</b> Tuesday, January 6, 2026 10:00<br><b>To:</b> outlook@example.com<br><b>Subject:</b> Spring offer</div>' +
      '<div><p>Our spring offer</p></div>';
    expect((await postMail(t, await replyTo(sent, { html }))).statusCode).toBe(202);
    const [event] = await eventsOf(t, contactId, 'email.replied');
    expect(event?.properties.text).toBe('Sounds good, send the details.');
  });
});

describe('matching a reply to its email', () => {
  test('a reply whose address token was damaged is matched by In-Reply-To', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'lowercased@example.com');
    const raw = await replyTo(sent, { to: sent.replyTo.toLowerCase(), text: 'Sure.' });
    expect((await postMail(t, raw)).json()).toMatchObject({ outcome: 'replied', messageId: sent.messageId });
    expect(await eventsOf(t, contactId, 'email.replied')).toHaveLength(1);
  });

  test('a reply carrying only References is matched by them', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'references@example.com');
    const raw = await replyTo(sent, {
      to: `reply+x@${DOMAIN}`,
      inReplyTo: undefined,
      references: ['<older@example.net>', sent.mail.messageId as string],
      text: 'Sure.',
    });
    expect((await postMail(t, raw)).json()).toMatchObject({ outcome: 'replied', messageId: sent.messageId });
    expect(await eventsOf(t, contactId, 'email.replied')).toHaveLength(1);
  });

  test('the same reply delivered twice is recorded once', async () => {
    const { contactId, sent } = await sendToNewContact(t, 'twice@example.com');
    const raw = await replyTo(sent, { text: 'Only once, please.', messageId: '<twice-1@mail.example.com>' });
    expect((await postMail(t, raw)).statusCode).toBe(202);
    expect((await postMail(t, raw)).statusCode).toBe(202);
    expect(await eventsOf(t, contactId, 'email.replied')).toHaveLength(1);
  });

  test('a reply to our domain that names no email of ours is answered 202 and records nothing', async () => {
    const raw = await composeMail({
      from: 'stranger@example.com',
      to: `reply+nothing@${DOMAIN}`,
      subject: 'Hello?',
      text: 'Anyone there?',
    });
    const res = await postMail(t, raw);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ outcome: 'unmatched' });
  });
});

describe('without INBOUND_EMAIL_DOMAIN', () => {
  let plain: InboundTest;
  beforeAll(async () => {
    plain = await inboundApp({ INBOUND_EMAIL_DOMAIN: '' });
  });
  afterAll(() => plain.close());

  test('sent email has no reply address and its own sender on the envelope', async () => {
    const { sent } = await sendToNewContact(plain, 'plain@example.com');
    expect(sent.replyTo).toBe('');
    expect(sent.envelope.from).toBe('news@example.com');
  });
});
