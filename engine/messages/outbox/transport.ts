import { mailOf } from '@waymark/nodes-email/smtp-mail';
import type { PreparedMessage } from '@waymark/sdk';
import nodemailer, { type Transporter } from 'nodemailer';
import { urlLogin } from '../../credentials/url-secrets.js';

/** The provider id of a message the built-in outbox kept (no `SMTP_URL`). */
export const OUTBOX = 'outbox';

/** Messages sent over one pooled connection before it is replaced (API.md "Sending credentials"). */
const MESSAGES_PER_CONNECTION = 1000;

/**
 * The runtime's `SMTP_URL` transport: pooled (many messages per connection), opened at the
 * first email and closed with the runtime. TLS as the URL says (opportunistic STARTTLS unless
 * it sets otherwise).
 */
export class DefaultSmtp {
  #transport: Transporter | null = null;
  /** The user and password `SMTP_URL` logs in with: hidden from a failed send's error (`sendSecrets`). */
  readonly login: readonly string[];

  constructor(readonly url: string | null) {
    this.login = url ? urlLogin(new URL(url)) : [];
  }

  /**
   * The default email delivery: through `SMTP_URL` when set; otherwise the message stays in
   * the built-in outbox (its row already holds html, text and headers) and counts as sent.
   */
  async deliver(message: PreparedMessage, messageIdHeader: string): Promise<{ providerId?: string }> {
    if (!this.url) return { providerId: OUTBOX };
    this.#transport ??= nodemailer.createTransport({ url: this.url, pool: true, maxMessages: MESSAGES_PER_CONNECTION });
    const info = await this.#transport.sendMail(mailOf(message, messageIdHeader));
    return { providerId: info.messageId };
  }

  /** Closes the pooled connections (an SMTP server waits for its clients when it stops). */
  close(): void {
    this.#transport?.close();
    this.#transport = null;
  }
}
