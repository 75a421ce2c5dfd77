import { mailOf } from '@waymark/nodes-email/smtp-mail';
import type { PreparedMessage } from '@waymark/sdk';
import nodemailer from 'nodemailer';
import { messageIdHeader } from '../compose/addresses.js';
import type { MimeHeader } from '../types.js';

// Nodemailer writing a message to a buffer, as its SMTP transports would write it to a server.
const writer = nodemailer.createTransport({ streamTransport: true, buffer: true });

/**
 * Every header of an outbox email as SMTP would carry it, in order: From, To, Subject,
 * Message-ID, Date, MIME-Version, Content-Type and the headers Waymark adds
 * (List-Unsubscribe …). Written when asked for, never when sending: writing a message costs
 * about 0.5 ms, a third of a send's CPU. A DKIM-Signature is added only on the way to a server.
 *
 * @example
 * await outboxHeaders(message, sentAt, 'https://waymark.example.com') // [{ name: 'From', value: 'news@example.com' }, …]
 */
export async function outboxHeaders(message: PreparedMessage, at: Date, publicUrl: string): Promise<MimeHeader[]> {
  const mail = mailOf(message, messageIdHeader(message.messageId, publicUrl));
  const written = await writer.sendMail({ ...mail, date: at });
  return headerSection(written.message as Buffer);
}

/** The header fields of a MIME message, each value unfolded (RFC 5322 2.2.3). */
function headerSection(raw: Buffer): MimeHeader[] {
  const end = raw.indexOf('\r\n\r\n');
  const headers: MimeHeader[] = [];
  for (const line of raw.toString('utf8', 0, end === -1 ? raw.length : end).split('\r\n')) {
    const last = headers.at(-1);
    if (last && (line.startsWith(' ') || line.startsWith('\t'))) last.value += line;
    else {
      const colon = line.indexOf(':');
      if (colon > 0) headers.push({ name: line.slice(0, colon), value: line.slice(colon + 1).trimStart() });
    }
  }
  return headers;
}
