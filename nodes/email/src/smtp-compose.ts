import type { PreparedMessage, SentHeader } from '@waymark/sdk';
import nodemailer from 'nodemailer';
import { mailOf } from './smtp-mail.js';

/** A message written once, as SMTP carries it: its bytes (DKIM-signed when keyed), envelope and headers. */
export interface ComposedMail {
  raw: Buffer;
  envelope: { from: string | false; to: string[] };
  /** The Message-ID header's value. */
  messageId: string;
  /** Every header of the message, in order, as in `raw`. */
  headers: SentHeader[];
}

// Nodemailer's own composition and DKIM signing, written to a buffer instead of a server.
const composer = nodemailer.createTransport({ streamTransport: true, buffer: true });

/**
 * Writes the message as it goes out. A sender hands `raw` to the server as it is, so the
 * headers recorded are the ones sent, DKIM-Signature and Date included; the outbox keeps
 * those it would have sent.
 */
export async function composeMail(message: PreparedMessage, messageIdHeader: string): Promise<ComposedMail> {
  const info = await composer.sendMail(mailOf(message, messageIdHeader));
  const raw = info.message as Buffer;
  return { raw, envelope: info.envelope, messageId: info.messageId, headers: headersOf(raw) };
}

/** The header section of a MIME message: each field's name and its value unfolded (RFC 5322 2.2.3). */
export function headersOf(raw: Buffer): SentHeader[] {
  const text = raw.toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const headers: SentHeader[] = [];
  for (const line of (end === -1 ? text : text.slice(0, end)).split(/\r?\n/)) {
    const last = headers.at(-1);
    if (/^[ \t]/.test(line) && last) last.value += line;
    else {
      const colon = line.indexOf(':');
      if (colon > 0) headers.push({ name: line.slice(0, colon), value: line.slice(colon + 1) });
    }
  }
  // The space after the colon, or the fold right after it, is not part of the value.
  for (const header of headers) header.value = header.value.trimStart();
  return headers;
}
