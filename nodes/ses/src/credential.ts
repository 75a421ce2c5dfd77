import { defineCredential, endpointSchema } from '@waymark/sdk';
import { checkSesAccount } from './certificate-check.js';
import { parseSes } from './events.js';
import { sendSes } from './send.js';
import { confirmSubscription, verifySns } from './sns.js';

/**
 * An Amazon SES account in one region: its access key sends (SES v2, SigV4), and the SNS
 * topics it publishes bounces, complaints and deliveries to are taken at /hooks/providers/ses.
 */
export default defineCredential({
  type: 'ses.account',
  title: 'Amazon SES account',
  description: 'Sends email through Amazon SES (v2 API) and takes its bounce, complaint and delivery events from SNS.',
  schema: {
    type: 'object',
    properties: {
      region: { type: 'string', pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$', title: 'Region', examples: ['eu-west-1'] },
      accessKeyId: { type: 'string', minLength: 1, writeOnly: true, title: 'Access key id' },
      secretAccessKey: { type: 'string', minLength: 1, writeOnly: true, title: 'Secret access key' },
      sessionToken: { type: 'string', minLength: 1, writeOnly: true, title: 'Session token (temporary credentials)' },
      configurationSet: { type: 'string', minLength: 1, title: 'Configuration set' },
      endpoint: { ...endpointSchema, description: 'default https://email.<region>.amazonaws.com' },
      snsTopicArns: {
        type: 'array',
        items: { type: 'string', pattern: '^arn:aws[a-z-]*:sns:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_-]{1,256}$' },
        minItems: 1,
        uniqueItems: true,
        title: 'SNS topics whose notifications are taken',
      },
      snsCertificate: {
        type: 'string',
        // A certificate, or a public key as SPKI or PKCS#1 (RSA PUBLIC KEY): each one createPublicKey reads.
        pattern: '-----BEGIN (CERTIFICATE|PUBLIC KEY|RSA PUBLIC KEY)-----',
        title: 'SNS signing certificate (PEM)',
        description: "checks SNS signatures instead of the certificate at the message's SigningCertURL",
      },
    },
    required: ['region', 'accessKeyId', 'secretAccessKey'],
    additionalProperties: false,
  },
  check: checkSesAccount,
  sender: { channel: 'email', send: sendSes },
  events: { provider: 'ses', verify: verifySns, parse: parseSes, handshake: confirmSubscription },
});
