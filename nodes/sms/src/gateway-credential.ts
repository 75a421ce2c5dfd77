import { defineCredential } from '@waymark/sdk';
import { gatewayDeliver } from './gateway-deliver.js';

/** An HTTP SMS gateway: Waymark POSTs each message to `url`. */
export default defineCredential({
  type: 'sms.http-gateway',
  title: 'HTTP SMS gateway',
  description:
    'Each SMS is POSTed to the URL. The body is {"to","body"} JSON unless a body template is given, in which {{to}} and {{body}} are replaced.',
  schema: {
    type: 'object',
    properties: {
      // Secret: a gateway's URL often carries its login or token (`https://user:pw@…`, `?key=…`).
      url: { type: 'string', format: 'uri', pattern: '^https?://', writeOnly: true, title: 'URL' },
      authHeader: { type: 'string', writeOnly: true, title: 'Authorization header value' },
      bodyTemplate: { type: 'string', title: 'Body template' },
      contentType: { type: 'string', default: 'application/json', title: 'Content-Type' },
    },
    required: ['url'],
    additionalProperties: false,
  },
  sender: { channel: 'sms', send: (message, ctx) => gatewayDeliver(ctx.http, ctx.data)(message) },
});
