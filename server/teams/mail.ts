import nodemailer, { type Transporter } from 'nodemailer';
import type { Runtime } from '../../engine/runtime.js';

const transports = new Map<string, Transporter>();

export interface PersonMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Mail to people (invitations, password resets) through `SMTP_URL` from `WAYMARK_MAIL_FROM`;
 * without `SMTP_URL` it is written to the server log. Answers whether it was sent.
 */
export async function sendPersonMail(runtime: Runtime, mail: PersonMail): Promise<boolean> {
  const { smtpUrl, mailFrom } = runtime.config;
  if (!smtpUrl) {
    runtime.logger.info({ to: mail.to, subject: mail.subject, text: mail.text }, 'mail to a person (no SMTP_URL)');
    return false;
  }
  let transport = transports.get(smtpUrl);
  if (!transport) {
    transport = nodemailer.createTransport(smtpUrl);
    transports.set(smtpUrl, transport);
  }
  await transport.sendMail({ from: mailFrom, ...mail });
  return true;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** A short mail with one link, in text and HTML. */
export function linkMail(to: string, subject: string, intro: string, link: string): PersonMail {
  return {
    to,
    subject,
    text: `${intro}\n\n${link}\n`,
    html: `<p>${escapeHtml(intro)}</p><p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`,
  };
}
