import { createHmac } from 'node:crypto';
import {
  type JsonObject,
  jsonBody,
  type ProviderEvent,
  type ProviderRequest,
  safeEqual,
  ValidationError,
} from '@waymark/sdk';

type MailgunWebhook = {
  signature?: { timestamp?: string; token?: string; signature?: string };
  'event-data'?: {
    id?: string;
    event?: string;
    severity?: string;
    recipient?: string;
    message?: { headers?: { 'message-id'?: string } };
    'user-variables'?: Record<string, string>;
    'delivery-status'?: { code?: number | string };
  };
};

/** Mailgun signs `timestamp + token` with the domain's HTTP webhook signing key (hex HMAC-SHA256). */
export function verifyMailgun(request: ProviderRequest, data: JsonObject): boolean {
  const key = data.webhookSigningKey;
  if (typeof key !== 'string') return false;
  const { signature } = jsonBody(request) as MailgunWebhook;
  if (!signature?.timestamp || !signature.token || !signature.signature) return false;
  const expected = createHmac('sha256', key).update(`${signature.timestamp}${signature.token}`).digest('hex');
  return safeEqual(signature.signature, expected);
}

/**
 * One Mailgun webhook (documentation.mailgun.com, webhooks): `delivered`, `failed`
 * (permanent: hard, temporary: soft) or `complained`; other events are ignored.
 */
export function parseMailgun(request: ProviderRequest): (ProviderEvent | null)[] {
  const body = jsonBody(request) as MailgunWebhook;
  const event = body && typeof body === 'object' ? body['event-data'] : undefined;
  if (!event || typeof event !== 'object' || typeof event.event !== 'string' || typeof event.id !== 'string') {
    throw new ValidationError('the body is no Mailgun webhook', [
      { path: '/event-data', message: 'a Mailgun webhook has event-data with an id and an event' },
    ]);
  }
  const waymark = event['user-variables']?.waymark_message;
  const providerId = event.message?.headers?.['message-id'];
  const common = {
    id: event.id,
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
