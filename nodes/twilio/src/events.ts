import { createHmac } from 'node:crypto';
import {
  type JsonObject,
  type ProviderAnswer,
  type ProviderEvent,
  type ProviderRequest,
  safeEqual,
  ValidationError,
} from '@waymark/sdk';

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

/**
 * The replies Twilio itself takes as an opt-out or opt-in on a long code (its default keywords;
 * help.twilio.com "Twilio support for opt-out keywords"): the whole reply is the word, in any case.
 */
const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const OPT_IN = new Set(['START', 'YES', 'UNSTOP']);

/**
 * An incoming message (the number's "a message comes in" webhook): an opt-out or opt-in of its
 * sender, by the `OptOutType` Advanced Opt-Out adds, else by the reply being one of the
 * default keywords; any other reply is ignored.
 */
function parseReply(form: URLSearchParams, sid: string): ProviderEvent | null {
  const from = form.get('From');
  const type = form.get('OptOutType')?.trim().toUpperCase();
  const word = (form.get('Body') ?? '').trim().toUpperCase();
  const keyword = type || word;
  const optedOut = type ? type === 'STOP' : OPT_OUT.has(word);
  const optedIn = type ? type === 'START' : OPT_IN.has(word);
  if (!from || !(optedOut || optedIn)) return null;
  return { id: `${sid}:received`, type: optedOut ? 'sms.opted-out' : 'sms.opted-in', recipient: from, status: keyword };
}

/** An incoming message carries its text and, at most, the status `received`; a status callback, its status. */
function isIncoming(form: URLSearchParams): boolean {
  const status = form.get('MessageStatus');
  return form.has('MessageSid') && form.has('Body') && (!status || status === 'received');
}

/**
 * A message status callback (`delivered`, or `undelivered` / `failed` with Twilio's
 * `ErrorCode`; others ignored), or an incoming message: a STOP or START reply (`parseReply`).
 */
export function parseTwilio(request: ProviderRequest): (ProviderEvent | null)[] {
  const form = new URLSearchParams(request.rawBody.toString('utf8'));
  const sid = form.get('MessageSid');
  const status = form.get('MessageStatus');
  if (sid && isIncoming(form)) return [parseReply(form, sid)];
  if (!sid || !status) {
    throw new ValidationError('the body is no Twilio status callback or incoming message', [
      {
        path: '/MessageSid',
        message: 'a status callback has MessageSid and MessageStatus; a message, MessageSid and Body',
      },
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

/**
 * An empty TwiML response, which sends no reply: Twilio expects TwiML in answer to an incoming
 * message and logs error 12300 (Invalid Content-Type) for anything else; it confirms a STOP itself.
 */
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** The answer to an incoming message: TwiML. A status callback's body is ignored by Twilio: JSON counts as for any provider. */
export function answerTwilio(request: ProviderRequest): ProviderAnswer | null {
  return isIncoming(new URLSearchParams(request.rawBody.toString('utf8')))
    ? { contentType: 'text/xml; charset=utf-8', body: EMPTY_TWIML }
    : null;
}
