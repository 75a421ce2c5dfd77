import { randomUUID } from 'node:crypto';
import { ownMessageId, type PreparedMessage, parseMailbox } from '@waymark/sdk';

/**
 * Nodemailer's message for a prepared one, DKIM-signed when the engine found the From domain's
 * key. The engine's `SMTP_URL` delivery uses it too: one shape for every SMTP send.
 */
export function mailOf(message: PreparedMessage, messageIdHeader: string) {
  return {
    // The message's own id, so that replies and delivery reports name it (In-Reply-To).
    messageId: messageIdHeader,
    // As name and address: nodemailer then quotes and encodes the name itself rather than
    // parsing the text again by its own, looser rules.
    from: asAddress(message.from),
    to: message.to,
    replyTo: asAddress(message.replyTo),
    subject: message.subject,
    html: message.html,
    text: message.text,
    headers: message.headers,
    // The multipart boundaries' random part, from Node's pooled UUID source: left to itself,
    // nodemailer asks OpenSSL for 8 bytes for every part (6.5 µs each, against 0.14).
    baseBoundary: randomUUID().replaceAll('-', ''),
    ...(message.envelopeFrom ? { envelope: { from: message.envelopeFrom, to: message.to } } : {}),
    ...(message.dkim ? { dkim: message.dkim } : {}),
  };
}

/** A sender as nodemailer's address object when it is one mailbox (the checked fields all are). */
function asAddress(text: string | undefined) {
  return (text === undefined ? null : parseMailbox(text)) ?? text;
}

/** Nodemailer's message whose Message-ID names the message, `<id@from-domain>`. */
export function mailWithOwnId(message: PreparedMessage) {
  return mailOf(message, ownMessageId(message));
}
