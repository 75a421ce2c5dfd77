import type { JsonObject, PreparedMessage } from '@waymark/sdk';
import { smtpFailure } from './smtp-failure.js';
import { mailWithOwnId } from './smtp-mail.js';
import { type SmtpCredential, smtpTransport } from './smtp-pools.js';

/** Delivers a prepared message through the SMTP server a credential names, over its pool. */
export function smtpDeliver(data: JsonObject) {
  const smtp = data as SmtpCredential;
  return async (message: PreparedMessage): Promise<{ providerId?: string }> => {
    const { transport, release } = smtpTransport(smtp);
    try {
      const info = await transport.sendMail(mailWithOwnId(message));
      return { providerId: info.messageId };
    } catch (error) {
      throw smtpFailure(error);
    } finally {
      release();
    }
  };
}
