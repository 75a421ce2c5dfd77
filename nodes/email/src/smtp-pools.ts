import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';

/** The data of an `email.smtp` credential (API.md "Sending credentials"). */
export type SmtpCredential = {
  host: string;
  port: number;
  secure?: boolean;
  user?: string;
  password?: string;
  requireTLS?: boolean;
  pool?: boolean;
  maxConnections?: number;
  maxPerSecond?: number;
};

/** Messages sent over one pooled connection before it is replaced (the contract's floor). */
export const MESSAGES_PER_CONNECTION = 1000;

/**
 * One pooled transport per credential's settings, kept for the process's life: a connection
 * pool is process state by nature (sockets), so it lives here rather than in a step. Keyed by
 * a hash of the settings, so a rotated password gets a pool of its own.
 */
const pools = new Map<string, Transporter>();

function keyOf(smtp: SmtpCredential): string {
  const { host, port, secure, user, password, requireTLS, maxConnections } = smtp;
  const settings = [host, port, secure, user, password, requireTLS, maxConnections];
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex');
}

/** Nodemailer's options for a credential: STARTTLS required unless it says otherwise. */
export function transportOptions(smtp: SmtpCredential): SMTPPool.Options {
  const secure = smtp.secure ?? false;
  return {
    host: smtp.host,
    port: smtp.port,
    secure,
    // Moot with `secure`: the connection is TLS from its first byte.
    requireTLS: !secure && (smtp.requireTLS ?? true),
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    pool: true,
    maxConnections: smtp.maxConnections ?? 5,
    maxMessages: MESSAGES_PER_CONNECTION,
  };
}

/**
 * The transport to send a credential's mail through: the process's pool for it, or (with
 * `pool: false`) a fresh single-connection transport that `release` closes after the message.
 */
export function smtpTransport(smtp: SmtpCredential): { transport: Transporter; release(): void } {
  if (smtp.pool === false) {
    const { pool: _pool, maxConnections: _max, maxMessages: _msgs, ...single } = transportOptions(smtp);
    const transport = nodemailer.createTransport(single);
    return { transport, release: () => transport.close() };
  }
  const key = keyOf(smtp);
  let transport = pools.get(key);
  if (!transport) {
    transport = nodemailer.createTransport(transportOptions(smtp));
    pools.set(key, transport);
  }
  return { transport, release: () => {} };
}

/** Closes every pooled SMTP connection (at shutdown, and between tests). */
export function closeSmtpPools(): void {
  for (const transport of pools.values()) transport.close();
  pools.clear();
}
