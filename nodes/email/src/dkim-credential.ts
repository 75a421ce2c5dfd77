import { defineCredential } from '@waymark/sdk';

/**
 * A sending domain's DKIM key: email over SMTP from that domain is signed with it. The engine
 * generates a 2048-bit key when none is given and shows the DNS record to publish
 * (`GET /api/settings/dkim/:domain`).
 */
export default defineCredential({
  type: 'email.dkim',
  title: 'DKIM key',
  description: 'Signs email from one sending domain (DKIM, RFC 6376).',
  schema: {
    type: 'object',
    properties: {
      domain: { type: 'string', format: 'hostname', minLength: 1, maxLength: 253, title: 'Sending domain' },
      selector: {
        type: 'string',
        pattern: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$',
        maxLength: 63,
        default: 'waymark',
        title: 'Selector',
      },
      privateKey: {
        type: 'string',
        minLength: 1,
        writeOnly: true,
        title: 'Private key (PEM)',
        description: 'an RSA key, PKCS#1 or PKCS#8, 1024–4096 bits; left out, a 2048-bit key is generated',
      },
    },
    required: ['domain'],
    additionalProperties: false,
  },
});
