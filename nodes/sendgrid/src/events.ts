import { verify } from 'node:crypto';
import { type JsonObject, jsonBody, type ProviderEvent, type ProviderRequest, ValidationError } from '@waymark/sdk';

type SendGridEvent = {
  event?: string;
  email?: string;
  sg_event_id?: string;
  sg_message_id?: string;
  waymark_message?: string;
  type?: string;
  status?: string;
};

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
  const body = jsonBody(request);
  if (!Array.isArray(body)) {
    throw new ValidationError('the body is no SendGrid event array', [
      { path: '', message: 'SendGrid posts a JSON array of events' },
    ]);
  }
  return body.map((raw: unknown, i): ProviderEvent | null => {
    const event = (raw && typeof raw === 'object' ? raw : {}) as SendGridEvent;
    if (typeof event.event !== 'string' || typeof event.sg_event_id !== 'string') {
      throw new ValidationError(`event ${i} has no event or sg_event_id`, [
        { path: `/${i}`, message: 'a SendGrid event has an event and an sg_event_id' },
      ]);
    }
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
