import type { PreparedMessage } from '@waymark/sdk';
import nodemailer, { type Transporter } from 'nodemailer';

const transports = new Map<string, Transporter>();

/** One pooled transport per SMTP URL, kept for the process's life. */
function transportFor(smtpUrl: string): Transporter {
  let transport = transports.get(smtpUrl);
  if (!transport) {
    transport = nodemailer.createTransport(smtpUrl);
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
  const info = await transportFor(smtpUrl).sendMail({
    messageId: messageIdHeader,
    from: message.from,
    to: message.to,
    replyTo: message.replyTo,
    subject: message.subject,
    html: message.html,
    text: message.text,
    headers: message.headers,
    ...(message.envelopeFrom ? { envelope: { from: message.envelopeFrom, to: message.to } } : {}),
  });
  return { providerId: info.messageId };
}

/** Closes the pooled transports (at shutdown). */
export function closeTransports(): void {
  for (const t of transports.values()) t.close();
  transports.clear();
}
