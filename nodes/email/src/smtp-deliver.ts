import type { JsonObject, PreparedMessage } from '@waymark/sdk';
import nodemailer from 'nodemailer';

/** The data of an `email.smtp` credential. */
export type SmtpCredential = {
  host: string;
  port: number;
  secure?: boolean;
  user?: string;
  password?: string;
};

/** The domain of a From address (`News <news@example.com>` → `example.com`). */
function domainOf(from: string | undefined): string {
  return /@([^\s>]+)/.exec(from ?? '')?.[1] ?? 'localhost';
}

/** Delivers a prepared message through the SMTP server a credential names. */
export function smtpDeliver(data: JsonObject) {
  const smtp = data as SmtpCredential;
  return async (message: PreparedMessage): Promise<{ providerId?: string }> => {
    const transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure ?? false,
      ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    });
    try {
      const info = await transport.sendMail({
        // The message's own id, so that replies and delivery reports name it (In-Reply-To).
        messageId: `<${message.messageId}@${domainOf(message.from)}>`,
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
    } finally {
      transport.close();
    }
  };
}
