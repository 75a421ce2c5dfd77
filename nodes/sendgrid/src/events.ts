import { verify } from 'node:crypto';
import { expectShape, type JsonObject, jsonBody, type ProviderEvent, type ProviderRequest } from '@waymark/sdk';

/** The fields of SendGrid's events that are read, with their types: a JSON array of them. */
const EVENTS = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      event: { type: 'string' },
      sg_event_id: { type: 'string' },
      sg_message_id: { type: 'string' },
      email: { type: 'string' },
      waymark_message: { type: 'string' },
      type: { type: 'string' },
      status: { type: 'string' },
    },
    required: ['event', 'sg_event_id'],
  },
} as const;

/**
 * SendGrid signs `<timestamp><raw body>` with ECDSA P-256 / SHA-256 (the signed Event Webhook,
 * docs.sendgrid.com); the key is the base64 DER public key SendGrid shows.
 */
export function verifySendGrid(request: ProviderRequest, data: JsonObject): boolean {
  const key = data.webhookPublicKey;
  const signature = request.headers['x-twilio-email-event-webhook-signature'];
  const timestamp = request.headers['x-twilio-email-event-webhook-timestamp'];
  if (typeof key !== 'string' || !signature || !timestamp) return false;
  try {
    const publicKey = { key: Buffer.from(key, 'base64'), format: 'der', type: 'spki' } as const;
    const signed = Buffer.concat([Buffer.from(timestamp), request.rawBody]);
    return verify('sha256', signed, publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false; // a key or signature that does not parse verifies nothing
  }
}

/**
 * The events of one SendGrid Event Webhook post (a JSON array): `delivered`, `bounce` (soft
 * when its type is `blocked`), `spamreport`; the others are ignored.
 */
export function parseSendGrid(request: ProviderRequest): (ProviderEvent | null)[] {
  return expectShape(jsonBody(request), EVENTS, 'SendGrid event array').map((event): ProviderEvent | null => {
    // sg_message_id is the X-Message-Id the send answered, followed by `.filter…`.
    const providerId = event.sg_message_id?.split('.')[0];
    const common = {
      id: event.sg_event_id,
      ...(event.waymark_message ? { waymarkMessageId: event.waymark_message } : {}),
      ...(providerId ? { providerId } : {}),
      ...(event.email ? { recipient: event.email } : {}),
    };
    if (event.event === 'delivered') return { ...common, type: 'delivered' };
    if (event.event === 'spamreport') return { ...common, type: 'complained' };
    if (event.event === 'bounce') {
      const kind = event.type === 'blocked' ? 'soft' : 'hard';
      return { ...common, type: 'bounced', kind, status: event.status ?? kind };
    }
    return null;
  });
}
