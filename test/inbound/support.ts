import { createServer } from 'node:net';
import type { ParsedMail } from 'mailparser';
import nodemailer, { type Mail } from 'nodemailer';
import { createMessagesService } from '../../engine/messages/service.js';
import { insertContact, stepScope } from '../channels/scope.js';
import { type SmtpSink, startSmtpSink } from '../channels/smtp-sink.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

export const DOMAIN = 'in.waymark.test';
export const SECRET = 'inbound-secret-0123456789';

export interface InboundTest extends TestApp {
  /** The outgoing SMTP peer: every email Waymark sends lands here. */
  smtp: SmtpSink;
}

/** A test app taking inbound mail for DOMAIN, sending through a real SMTP peer. */
export async function inboundApp(env: Record<string, string> = {}): Promise<InboundTest> {
  const smtp = await startSmtpSink();
  const t = await createTestApp({ INBOUND_EMAIL_DOMAIN: DOMAIN, INBOUND_SECRET: SECRET, SMTP_URL: smtp.url, ...env });
  return {
    ...t,
    smtp,
    async close() {
      await t.close();
      await smtp.close();
    },
  };
}

/** Posts raw MIME to the inbound webhook, with the secret unless headers say otherwise. */
export function postMail(t: TestApp, raw: Buffer | string, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/hooks/inbound-email',
    headers: { 'content-type': 'message/rfc822', 'x-waymark-secret': SECRET, ...headers },
    payload: raw,
  });
}

export interface SentMail {
  messageId: string;
  /** The mail as the SMTP peer received it. */
  mail: ParsedMail;
  envelope: { from: string; to: string[] };
  /** Its Reply-To address (empty when it has none). */
  replyTo: string;
}

/** Sends one email to a new contact through the messages service, as an `email.send` step would. */
export async function sendToNewContact(t: InboundTest, email: string, fields: { replyTo?: string } = {}) {
  const contactId = await insertContact(t.runtime, { email });
  return { contactId, sent: await sendTo(t, contactId, fields) };
}

/** Sends one email to a contact through the messages service and waits for the SMTP peer to get it. */
export async function sendTo(t: InboundTest, contactId: string, fields: { replyTo?: string } = {}): Promise<SentMail> {
  const before = t.smtp.mails.length;
  const result = await createMessagesService(await stepScope(t.runtime, { contactId, nodeId: 'offer' })).send({
    channel: 'email',
    category: 'marketing',
    from: 'News <news@example.com>',
    subject: 'Spring offer',
    html: '<p>Our spring offer</p>',
    ...fields,
  });
  if (result.status !== 'sent') throw new Error(`the email was ${result.status} (${result.reason})`);
  await t.smtp.waitFor(before + 1);
  const mail = t.smtp.mails[before] as ParsedMail;
  return {
    messageId: result.messageId,
    mail,
    envelope: t.smtp.envelopes[before] as SentMail['envelope'],
    replyTo: mail.replyTo?.value[0]?.address ?? '',
  };
}

/** A MIME mail as a mail client writes it (nodemailer composes it, nothing is sent). */
export async function composeMail(options: Mail.Options): Promise<Buffer> {
  const info = await nodemailer.createTransport({ streamTransport: true, buffer: true }).sendMail(options);
  return info.message as Buffer;
}

/** A reply from the contact to a sent email: to its Reply-To, answering its Message-ID. */
export function replyTo(sent: SentMail, options: Mail.Options = {}): Promise<Buffer> {
  return composeMail({
    from: sent.mail.to && !Array.isArray(sent.mail.to) ? sent.mail.to.text : 'someone@example.com',
    to: sent.replyTo,
    subject: `Re: ${sent.mail.subject}`,
    inReplyTo: sent.mail.messageId,
    references: sent.mail.messageId,
    ...options,
  });
}

/** An RFC 3464 delivery report on a sent email, as a receiving MTA writes it. */
export function deliveryReport(
  sent: SentMail,
  report: { status: string; action?: string; to?: string; returned?: 'headers' | 'message' | 'none' },
): string {
  const recipient = sent.envelope.to[0] ?? '';
  const original =
    `From: News <news@example.com>\r\nTo: ${recipient}\r\nSubject: ${sent.mail.subject}\r\n` +
    `Message-ID: ${sent.mail.messageId}\r\n`;
  const returned =
    report.returned === 'none'
      ? ''
      : report.returned === 'message'
        ? `--REPORT\r\nContent-Type: message/rfc822\r\n\r\n${original}\r\nOur spring offer\r\n\r\n`
        : `--REPORT\r\nContent-Type: text/rfc822-headers\r\n\r\n${original}\r\n`;
  return (
    `From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\nTo: ${report.to ?? sent.envelope.from}\r\n` +
    `Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@mx.example.net>\r\n` +
    `Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n` +
    `Content-Type: multipart/report; report-type=delivery-status; boundary="REPORT"\r\n\r\n` +
    `--REPORT\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nYour message could not be delivered.\r\n\r\n` +
    `--REPORT\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n` +
    `Final-Recipient: rfc822; ${recipient}\r\nAction: ${report.action ?? 'failed'}\r\nStatus: ${report.status}\r\n` +
    `Diagnostic-Code: smtp; ${report.status.startsWith('5') ? '550' : '452'} ${report.status} mailbox\r\n` +
    ` unavailable\r\n\r\n${returned}--REPORT--\r\n`
  );
}

/** Merges contact `fromId` into `survivorId` through the API (contract identity.md), its messages with it. */
export async function mergeInto(t: TestApp, survivorId: string, fromId: string): Promise<void> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/contacts/${survivorId}/merge`,
    headers: t.auth,
    payload: { from: fromId },
  });
  if (res.statusCode !== 200) throw new Error(`the merge answered ${res.statusCode}: ${res.body}`);
}

/** The contact's events of one name, through the API. */
export async function eventsOf(t: TestApp, contactId: string, name: string) {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/events?contactId=${contactId}&name=${name}`,
    headers: t.auth,
  });
  return res.json().events as { name: string; properties: Record<string, unknown> }[];
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
