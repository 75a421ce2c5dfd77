import { mailOf } from '@waymark/nodes-email/smtp-mail';
import type { PreparedMessage } from '@waymark/sdk';
import nodemailer, { type Transporter } from 'nodemailer';

/** Messages sent over one pooled connection before it is replaced (API.md "Sending credentials"). */
const MESSAGES_PER_CONNECTION = 1000;

const transports = new Map<string, Transporter>();

/**
 * One pooled transport per SMTP URL, kept for the process's life: many messages per
 * connection. TLS as the URL says (opportunistic STARTTLS unless it sets otherwise).
 */
function transportFor(smtpUrl: string): Transporter {
  let transport = transports.get(smtpUrl);
  if (!transport) {
    transport = nodemailer.createTransport({ url: smtpUrl, pool: true, maxMessages: MESSAGES_PER_CONNECTION });
    transports.set(smtpUrl, transport);
  }
  return transport;
}

/**
 * The default email delivery: through `SMTP_URL` when set; otherwise the message stays in
 * the built-in outbox (its row already holds html, text and headers) and counts as sent.
 */
export async function deliverDefaultEmail(
  smtpUrl: string | null,
  message: PreparedMessage,
  messageIdHeader: string,
): Promise<{ providerId?: string }> {
  if (!smtpUrl) return { providerId: 'outbox' };
  const info = await transportFor(smtpUrl).sendMail(mailOf(message, messageIdHeader));
  return { providerId: info.messageId };
}

/** Closes the pooled transports (at shutdown). */
export function closeTransports(): void {
  for (const t of transports.values()) t.close();
  transports.clear();
}
