import type { JsonObject, PreparedMessage } from '@waymark/sdk';
import { smtpFailure } from './smtp-failure.js';
import { mailOf } from './smtp-mail.js';
import { type SmtpCredential, smtpTransport } from './smtp-pools.js';

/** The domain of a From address (`News <news@example.com>` → `example.com`). */
function domainOf(from: string | undefined): string {
  return /@([^\s>]+)/.exec(from ?? '')?.[1] ?? 'localhost';
}

/** Delivers a prepared message through the SMTP server a credential names, over its pool. */
export function smtpDeliver(data: JsonObject) {
  const smtp = data as SmtpCredential;
  return async (message: PreparedMessage): Promise<{ providerId?: string }> => {
    const { transport, release } = smtpTransport(smtp);
    try {
      const info = await transport.sendMail(mailOf(message, `<${message.messageId}@${domainOf(message.from)}>`));
      return { providerId: info.messageId };
    } catch (error) {
      throw smtpFailure(error);
    } finally {
      release();
    }
  };
}
