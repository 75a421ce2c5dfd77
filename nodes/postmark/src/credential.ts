import { defineCredential, endpointSchema } from '@waymark/sdk';
import { parsePostmark, verifyPostmark } from './events.js';
import { sendPostmark } from './send.js';

/** A Postmark server: its token sends, its webhook login checks the events Postmark posts. */
export default defineCredential({
  type: 'postmark.server',
  title: 'Postmark server',
  description: 'Sends email through Postmark and takes its delivery, bounce and spam complaint webhooks.',
  schema: {
    type: 'object',
    properties: {
      serverToken: { type: 'string', minLength: 1, writeOnly: true, title: 'Server API token' },
      messageStream: { type: 'string', minLength: 1, default: 'outbound', title: 'Message stream' },
      broadcastStream: {
        type: 'string',
        minLength: 1,
        title: 'Broadcast stream',
        description: 'the stream of marketing messages; default the message stream',
      },
      endpoint: endpointSchema,
      webhookUsername: {
        type: 'string',
        minLength: 1,
        writeOnly: true,
        title: 'Webhook user (basic auth in the webhook URL)',
      },
      webhookPassword: { type: 'string', minLength: 1, writeOnly: true, title: 'Webhook password' },
    },
    required: ['serverToken'],
    additionalProperties: false,
  },
  sender: { channel: 'email', send: sendPostmark },
  events: { provider: 'postmark', verify: verifyPostmark, parse: parsePostmark },
});
