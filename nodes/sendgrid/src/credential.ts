import { defineCredential, endpointSchema } from '@waymark/sdk';
import { parseSendGrid, verifySendGrid } from './events.js';
import { sendSendGrid } from './send.js';

/** A SendGrid account: its API key sends, the Event Webhook's public key checks the events. */
export default defineCredential({
  type: 'sendgrid.account',
  title: 'SendGrid account',
  description: 'Sends email through SendGrid and takes its signed Event Webhook.',
  schema: {
    type: 'object',
    properties: {
      apiKey: { type: 'string', minLength: 1, writeOnly: true, title: 'API key' },
      endpoint: endpointSchema,
      webhookPublicKey: {
        type: 'string',
        minLength: 1,
        title: 'Event Webhook verification key',
        description: 'the base64 public key SendGrid shows for the signed Event Webhook',
      },
    },
    required: ['apiKey'],
    additionalProperties: false,
  },
  sender: { channel: 'email', send: sendSendGrid },
  events: { provider: 'sendgrid', verify: verifySendGrid, parse: parseSendGrid },
});
