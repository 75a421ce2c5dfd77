import { defineCredential, endpointSchema } from '@waymark/sdk';
import { parseMailgun, verifyMailgun } from './events.js';
import { sendMailgun } from './send.js';

/** A Mailgun sending domain: its API key sends, its webhook signing key checks the events. */
export default defineCredential({
  type: 'mailgun.domain',
  title: 'Mailgun domain',
  description: 'Sends email through Mailgun and takes its delivered, failed and complained webhooks.',
  schema: {
    type: 'object',
    properties: {
      apiKey: { type: 'string', minLength: 1, writeOnly: true, title: 'API key' },
      domain: { type: 'string', format: 'hostname', minLength: 1, title: 'Sending domain' },
      endpoint: { ...endpointSchema, description: 'default https://api.mailgun.net; EU https://api.eu.mailgun.net' },
      webhookSigningKey: { type: 'string', minLength: 1, writeOnly: true, title: 'HTTP webhook signing key' },
    },
    required: ['apiKey', 'domain'],
    additionalProperties: false,
  },
  sender: { channel: 'email', send: sendMailgun },
  events: { provider: 'mailgun', verify: verifyMailgun, parse: parseMailgun },
});
