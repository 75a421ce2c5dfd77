import { createHmac } from 'node:crypto';
import { type JsonObject, type ProviderEvent, type ProviderRequest, safeEqual, ValidationError } from '@waymark/sdk';

/**
 * Twilio signs the full callback URL followed by each form field's name and value, sorted by
 * name, with the auth token (base64 HMAC-SHA1, `X-Twilio-Signature`; twilio.com/docs/usage/security).
 */
export function verifyTwilio(request: ProviderRequest, data: JsonObject): boolean {
  const token = data.authToken;
  const signature = request.headers['x-twilio-signature'];
  if (typeof token !== 'string' || !signature) return false;
  const fields = [...new URLSearchParams(request.rawBody.toString('utf8')).entries()].sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const signed = request.publicUrl + fields.map(([name, value]) => name + value).join('');
  return safeEqual(signature, createHmac('sha1', token).update(signed).digest('base64'));
}

/** A message status callback: `delivered`, or `undelivered` / `failed` with Twilio's `ErrorCode`; others ignored. */
export function parseTwilio(request: ProviderRequest): (ProviderEvent | null)[] {
  const form = new URLSearchParams(request.rawBody.toString('utf8'));
  const sid = form.get('MessageSid');
  const status = form.get('MessageStatus');
  if (!sid || !status) {
    throw new ValidationError('the body is no Twilio status callback', [
      { path: '/MessageSid', message: 'a status callback has MessageSid and MessageStatus' },
    ]);
  }
  const common = { id: `${sid}:${status}`, providerId: sid };
  if (status === 'delivered') return [{ ...common, type: 'sms.delivered' }];
  if (status === 'undelivered' || status === 'failed') {
    const code = form.get('ErrorCode');
    return [{ ...common, type: 'sms.failed', ...(code ? { code } : {}) }];
  }
  return [null];
}
