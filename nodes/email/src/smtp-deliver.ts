import type { Delivered, JsonObject, PreparedMessage } from '@waymark/sdk';
import { composeMail } from './smtp-compose.js';
import { smtpFailure } from './smtp-failure.js';
import { ownMessageId } from './smtp-mail.js';
import { type SmtpCredential, smtpTransport } from './smtp-pools.js';

/** Delivers a prepared message through the SMTP server a credential names, over its pool. */
export function smtpDeliver(data: JsonObject) {
  const smtp = data as SmtpCredential;
  return async (message: PreparedMessage): Promise<Delivered> => {
    const mail = await composeMail(message, ownMessageId(message));
    const { transport, release } = smtpTransport(smtp);
    try {
      await transport.sendMail({ envelope: mail.envelope, raw: mail.raw });
      return { providerId: mail.messageId, headers: mail.headers };
    } catch (error) {
      throw smtpFailure(error);
    } finally {
      release();
    }
  };
}
