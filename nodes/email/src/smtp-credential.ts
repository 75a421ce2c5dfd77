import { defineCredential } from '@waymark/sdk';
import { smtpDeliver } from './smtp-deliver.js';

/** An SMTP server to send through instead of the install's default (`SMTP_URL` or the outbox). */
export default defineCredential({
  type: 'email.smtp',
  title: 'SMTP server',
  description: 'Host, port and login of an SMTP server; connections are pooled and STARTTLS is required by default.',
  schema: {
    type: 'object',
    properties: {
      host: { type: 'string', minLength: 1, title: 'Host' },
      port: { type: 'integer', minimum: 1, maximum: 65535, default: 587, title: 'Port' },
      secure: { type: 'boolean', default: false, title: 'TLS from the start (port 465)' },
      user: { type: 'string', writeOnly: true, title: 'User' },
      password: { type: 'string', writeOnly: true, title: 'Password' },
      requireTLS: {
        type: 'boolean',
        default: true,
        title: 'Require STARTTLS',
        description: 'refuse to send unless the connection is upgraded by STARTTLS (moot with TLS from the start)',
      },
      pool: { type: 'boolean', default: true, title: 'Pool connections' },
      maxConnections: { type: 'integer', minimum: 1, maximum: 50, default: 5, title: 'Connections per worker' },
    },
    required: ['host', 'port'],
    additionalProperties: false,
  },
  sender: { channel: 'email', send: (message, ctx) => smtpDeliver(ctx.data)(message) },
});
