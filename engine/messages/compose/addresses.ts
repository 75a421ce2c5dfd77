import { isIP } from 'node:net';

/** The domain of Waymark's own addresses (Message-ID, default From): the public URL's host. */
export function mailDomain(publicUrl: string): string {
  const host = new URL(publicUrl).hostname;
  return host.includes('.') && !isIP(host) ? host : 'localhost';
}

/** The default From of mail Waymark sends itself, and of email sent without a `from`. */
export const defaultFrom = (publicUrl: string) => `Waymark <waymark@${mailDomain(publicUrl)}>`;

/**
 * The Message-ID header of message `id` sent through `SMTP_URL` or kept by the outbox, so
 * that replies and delivery reports name it.
 *
 * @example
 * messageIdHeader('0191…', 'https://mail.example.com') // '<0191…@mail.example.com>'
 */
export const messageIdHeader = (id: string, publicUrl: string) => `<${id}@${mailDomain(publicUrl)}>`;
