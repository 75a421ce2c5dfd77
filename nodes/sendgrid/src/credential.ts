import { defineCredential, endpointSchema } from '@waymark/sdk';
import { parseSendGrid, verifySendGrid } from './events.js';
import { sendSendGrid } from './send.js';

/** A P-256 public key as base64 DER: the SubjectPublicKeyInfo header, then the 65-byte point. */
const SPKI_P256_BASE64 = '^MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE[A-Za-z0-9+/]{86}==$';

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
        // SendGrid signs with ECDSA P-256 and shows the key as base64 DER (SubjectPublicKeyInfo):
        // always this 36-character header and 88 more. Anything else would verify nothing, silently.
        pattern: SPKI_P256_BASE64,
        title: 'Event Webhook verification key',
        description: 'the base64 public key SendGrid shows for the signed Event Webhook (ECDSA P-256, DER)',
      },
    },
    required: ['apiKey'],
    additionalProperties: false,
  },
  sender: { channel: 'email', send: sendSendGrid },
  events: { provider: 'sendgrid', verify: verifySendGrid, parse: parseSendGrid },
});
