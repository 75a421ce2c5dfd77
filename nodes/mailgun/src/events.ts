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
 * How far from now a signature's timestamp may be, in seconds. Mailgun retries a webhook it
 * could not hand over for about 8 hours (10, 10, 15, 30, 60, 120, 240 minutes), perhaps under
 * its first signature, so the past reaches past that; ahead, clocks may drift by minutes.
 */
const MAILGUN_SIGNED_WITHIN = { pastSeconds: 9 * 3600, futureSeconds: 5 * 60 } as const;

/** What Mailgun signs: the block's timestamp followed by its token. */
const signedString = (signature: { timestamp?: string; token?: string }) =>
  `${signature.timestamp ?? ''}${signature.token ?? ''}`;

/** The longest token taken (Mailgun's are 50 characters): the signed string stays small. */
const MAX_TOKEN_LENGTH = 256;

/**
 * The signature block (documentation.mailgun.com, "Securing webhooks"): a timestamp in Unix
 * seconds and a token, of any length the contract allows (Mailgun's own are 50 characters).
 * A block reshaped around the same signed string (its split point moved) is no new signature:
 * the string is the nonce (parseMailgun), and a moved split puts the timestamp far outside
 * the window, ten times larger or smaller.
 */
function signedBlock(body: ReturnType<typeof mailgunBody>, nowSeconds: number) {
  const { signature } = body;
  if (!signature?.timestamp || !signature.token || !signature.signature) return null;
  if (!/^\d{1,12}$/.test(signature.timestamp) || signature.token.length > MAX_TOKEN_LENGTH) return null;
  const age = nowSeconds - Number(signature.timestamp);
  if (age > MAILGUN_SIGNED_WITHIN.pastSeconds || -age > MAILGUN_SIGNED_WITHIN.futureSeconds) return null;
  return { signed: signedString(signature), signature: signature.signature };
}

/**
 * Mailgun signs `timestamp + token` with the domain's HTTP webhook signing key (hex
 * HMAC-SHA256); the timestamp must be within `MAILGUN_SIGNED_WITHIN` of now. The signed string
 * is a nonce the engine keeps, so a signature carries its one event only.
 */
export function verifyMailgun(request: ProviderRequest, data: JsonObject): boolean {
  const key = data.webhookSigningKey;
  if (typeof key !== 'string') return false;
  const block = signedBlock(mailgunBody(request), Math.floor(Date.now() / 1000));
  if (!block) return false;
  const expected = createHmac('sha256', key).update(block.signed).digest('hex');
  return safeEqual(block.signature, expected);
}

/**
 * One Mailgun webhook (documentation.mailgun.com, webhooks): `delivered`, `failed`
 * (permanent: hard, temporary: soft) or `complained`; other events are ignored. Mailgun signs
 * `timestamp + token` only, so the event carries that signed string as its `nonce`: Waymark
 * honours it for the one event it first came with (Mailgun's "cache the token" advice). The
 * token alone would not do: the same string split elsewhere is the same signature.
 */
export function parseMailgun(request: ProviderRequest): (ProviderEvent | null)[] {
  const body = mailgunBody(request);
  const event = body['event-data'];
  const waymark = event['user-variables']?.waymark_message;
  const providerId = event.message?.headers?.['message-id'];
  // The signature covers timestamp + token, not the event: that string may sign this event only.
  const signed = body.signature ? signedString(body.signature) : '';
  const common = {
    id: event.id,
    ...(signed ? { nonce: signed } : {}),
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
