import { createHmac } from 'node:crypto';
import {
  expectShape,
  type JsonObject,
  jsonBody,
  type ProviderEvent,
  type ProviderRequest,
  safeEqual,
} from '@waymark/sdk';

const STRING = { type: 'string' } as const;

/**
 * The fields of a Mailgun webhook that are read, with their types. The signature is checked
 * by `verifyMailgun`: one missing verifies nothing (401), one of the wrong types is no Mailgun body.
 */
const WEBHOOK = {
  type: 'object',
  properties: {
    signature: { type: 'object', properties: { timestamp: STRING, token: STRING, signature: STRING } },
    'event-data': {
      type: 'object',
      properties: {
        id: STRING,
        event: STRING,
        severity: STRING,
        recipient: STRING,
        message: { type: 'object', properties: { headers: { type: 'object', properties: { 'message-id': STRING } } } },
        'user-variables': { type: 'object', properties: { waymark_message: STRING } },
        'delivery-status': { type: 'object', properties: { code: { type: ['integer', 'string'] } } },
      },
      required: ['id', 'event'],
    },
  },
  required: ['event-data'],
} as const;

const mailgunBody = (request: ProviderRequest) => expectShape(jsonBody(request), WEBHOOK, 'Mailgun webhook');

/**
 * Mailgun signs `timestamp + token` with the domain's HTTP webhook signing key (hex
 * HMAC-SHA256). Its age is not judged (sending.md names no window): the token is a nonce the
 * engine keeps, so a signature carries its one event only, however old.
 */
export function verifyMailgun(request: ProviderRequest, data: JsonObject): boolean {
  const key = data.webhookSigningKey;
  if (typeof key !== 'string') return false;
  const { signature } = mailgunBody(request);
  if (!signature?.timestamp || !signature.token || !signature.signature) return false;
  const expected = createHmac('sha256', key).update(`${signature.timestamp}${signature.token}`).digest('hex');
  return safeEqual(signature.signature, expected);
}

/**
 * One Mailgun webhook (documentation.mailgun.com, webhooks): `delivered`, `failed`
 * (permanent: hard, temporary: soft) or `complained`; other events are ignored. Mailgun signs
 * `timestamp + token` only, so the event carries the token as its `nonce`: Waymark honours a
 * token for the one event it first came with (Mailgun's "cache the token" advice).
 */
export function parseMailgun(request: ProviderRequest): (ProviderEvent | null)[] {
  const body = mailgunBody(request);
  const event = body['event-data'];
  const waymark = event['user-variables']?.waymark_message;
  const providerId = event.message?.headers?.['message-id'];
  // The signature covers the token, not the event: the token may sign this event only.
  const token = body.signature?.token;
  const common = {
    id: event.id,
    ...(token ? { nonce: token } : {}),
    ...(waymark ? { waymarkMessageId: waymark } : {}),
    ...(providerId ? { providerId } : {}),
    ...(event.recipient ? { recipient: event.recipient } : {}),
  };
  if (event.event === 'delivered') return [{ ...common, type: 'delivered' }];
  if (event.event === 'complained') return [{ ...common, type: 'complained' }];
  if (event.event === 'failed') {
    const kind = event.severity === 'permanent' ? 'hard' : event.severity === 'temporary' ? 'soft' : null;
    if (!kind) return [null];
    const code = event['delivery-status']?.code;
    return [{ ...common, type: 'bounced', kind, status: code === undefined ? kind : String(code) }];
  }
  return [null];
}
