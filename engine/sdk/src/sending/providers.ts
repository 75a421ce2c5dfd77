import { timingSafeEqual } from 'node:crypto';
import { isRetryable, NodeError, RetryableError, WaymarkError } from '../errors.js';
import type { JsonObject } from '../json.js';
import { parseJsonText } from '../json-text.js';
import type { HttpClient, HttpRequest, HttpResponse, PreparedMessage } from '../services.js';
import { retryAfterMs } from './retry-after.js';

/** What a sender gets besides the message: its credential's data and the step's tools. */
export interface SenderContext {
  data: JsonObject;
  /** Outgoing HTTP with Waymark's address checks (a loopback `endpoint` needs `WAYMARK_HTTP_ALLOW_PRIVATE`). */
  http: HttpClient;
  idempotencyKey: string;
  /** Waymark's public base URL, for status callbacks. */
  publicUrl: string;
}

/**
 * The part of a credential type that delivers messages (API.md "Sending credentials"): a node's
 * `credential` param of this channel sends through it. Throw `NodeError` / `RetryableError`
 * with `{ code }` (`provider.auth`, `provider.rejected`, `provider.unavailable`) on failure:
 * `providerRequest` and `providerFailure` make them.
 */
export interface CredentialSender {
  channel: 'email' | 'sms';
  send(message: PreparedMessage, ctx: SenderContext): Promise<{ providerId?: string }>;
}

/** A provider's event webhook request as received: the raw bytes, for signatures. */
export interface ProviderRequest {
  /** The path and query as requested (`/hooks/providers/twilio?x=1`). */
  url: string;
  /** Waymark's public URL plus `url`: what a provider signs when it signs the URL. */
  publicUrl: string;
  /** Lower-cased names. */
  headers: Record<string, string | undefined>;
  rawBody: Buffer;
}

/**
 * One delivery, bounce, complaint or SMS status a provider reported, or an SMS reply that opts
 * its sender out (`STOP`) or back in (`START`): `recipient` is then the sender's phone number.
 */
export interface ProviderEvent {
  /** The provider's id of this event: a repeat of it is recorded once. */
  id: string;
  type: 'delivered' | 'bounced' | 'complained' | 'sms.delivered' | 'sms.failed' | 'sms.opted-out' | 'sms.opted-in';
  /** The `waymark_message` the provider echoes back, when it does. */
  waymarkMessageId?: string;
  /** The provider's id of the message (what its send answered). */
  providerId?: string;
  /** The address (email) or E.164 number (SMS) the event is about, the last way to match it to a contact. */
  recipient?: string;
  kind?: 'hard' | 'soft';
  status?: string;
  code?: string;
  /**
   * A value the provider's signature covers where it does not cover the event (Mailgun's
   * signed string, `timestamp + token`: the whole of what is signed, so the same signature
   * reshaped is the same nonce): it signs this one event only, and a request bringing it with another event is
   * refused as unverified.
   */
  nonce?: string;
}

/** An answer a provider expects to its webhook in place of Waymark's JSON counts (Twilio's TwiML). */
export interface ProviderAnswer {
  contentType: string;
  body: string;
}

/** What an event webhook's checks may use: Waymark's outgoing HTTP (to fetch a signing certificate). */
export interface ProviderContext {
  http: HttpClient;
}

/**
 * The part of a credential type that takes its provider's event webhook,
 * `POST /hooks/providers/<provider>`. `parse` throws `ValidationError` for a body not in the
 * provider's format and answers one entry per record, `null` for a record of no interest
 * (counted `ignored`); `verify` answers whether this credential's data authenticates the request.
 * `handshake`, when given, runs once for a verified request before its events are stored: for
 * a provider that asks the receiver to confirm a subscription (Amazon SNS). `answer`, when given,
 * runs once the events are stored and names the body the provider expects in return (an
 * incoming message's TwiML for Twilio); null keeps Waymark's JSON counts.
 */
export interface CredentialEvents {
  provider: string;
  verify(request: ProviderRequest, data: JsonObject, ctx: ProviderContext): boolean | Promise<boolean>;
  parse(request: ProviderRequest): (ProviderEvent | null)[] | Promise<(ProviderEvent | null)[]>;
  handshake?(request: ProviderRequest, data: JsonObject, ctx: ProviderContext): Promise<void>;
  answer?(request: ProviderRequest): ProviderAnswer | null | Promise<ProviderAnswer | null>;
}

/**
 * Compares two secrets in constant time (any lengths): for webhook signatures and passwords.
 *
 * @example
 * if (!safeEqual(request.headers['x-signature'] ?? '', expected)) return false;
 */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // Equal lengths for timingSafeEqual; comparing x with itself keeps the time the same.
  return timingSafeEqual(x, x.length === y.length ? y : x) && x.length === y.length;
}

/**
 * The schema of a provider credential's `endpoint`: an http(s) base URL replacing the
 * provider's public host (a region, or a stand-in server in tests).
 */
export const endpointSchema = {
  type: 'string',
  format: 'uri',
  pattern: '^https?://',
  title: 'API endpoint',
} as const;

/** A credential's `endpoint` without its trailing slash, else the provider's public one. */
export function endpointOf(data: JsonObject, fallback: string): string {
  return (typeof data.endpoint === 'string' ? data.endpoint : fallback).replace(/\/+$/, '');
}

/**
 * The step error for a provider's answer outside 2xx (NODES.md "Step error codes"): 401/403
 * `provider.auth`, 429 `provider.rate-limited` (the engine holds the message and sends it again
 * after `Retry-After`, default 1 s, without spending an attempt), 5xx `provider.unavailable`
 * (retried), any other `provider.rejected` — a 2xx whose body refuses the message too (Postmark's
 * `ErrorCode`), its message naming the status as answered. The code rides in the
 * error options and leads the message.
 *
 * @example
 * if (res.status !== 200) throw providerFailure('Postmark', res, 'ErrorCode 406: inactive recipient');
 */
export function providerFailure(provider: string, response: HttpResponse, detail?: string): NodeError {
  const what = `${provider} answered ${response.status}${detail ? ` (${detail})` : ''}`;
  const status = response.status;
  if (status === 429) {
    const asked = retryAfterMs(response.headers);
    const options: ErrorOptions & { code: string; retryAfterMs: number } = {
      code: 'provider.rate-limited',
      retryAfterMs: asked && asked > 0 ? asked : 1000,
    };
    return new RetryableError(`provider.rate-limited: ${what}`, options);
  }
  const code =
    status === 401 || status === 403 ? 'provider.auth' : status >= 500 ? 'provider.unavailable' : 'provider.rejected';
  const options: ErrorOptions & { code: string } = { code };
  return code === 'provider.unavailable'
    ? new RetryableError(`${code}: ${what}`, options)
    : new NodeError(`${code}: ${what}`, options);
}

/**
 * Why a provider refused a message for its recipient rather than for the message: `unsubscribed`
 * the recipient opted out of the sender at the provider (Twilio 21610, a number that replied
 * STOP), `suppressed` the provider keeps the address inactive for reasons it does not tell
 * (Postmark's ErrorCode 406 is not one: NODES.md names it `provider.rejected`). The engine
 * records such a message `suppressed` and the step goes on as for any suppressed send; an
 * `unsubscribed` one also unsubscribes the contact's consent for the channel (source `provider`).
 */
export type RecipientRefusal = 'unsubscribed' | 'suppressed';

const REFUSAL_CODES: Record<string, RecipientRefusal> = {
  'provider.recipient-unsubscribed': 'unsubscribed',
  'provider.recipient-suppressed': 'suppressed',
};

/**
 * The error a sender throws when its provider refused the recipient (`RecipientRefusal`): a
 * `NodeError` with code `provider.recipient-<refusal>`, its message naming the answer as
 * `providerFailure`'s does. The code, not the class, carries it (it crosses a package's thread).
 *
 * @example
 * if (answer.code === 21610) throw recipientRefused('unsubscribed', 'Twilio', res, 'error 21610: …');
 */
export function recipientRefused(
  refusal: RecipientRefusal,
  provider: string,
  response: HttpResponse,
  detail?: string,
): NodeError {
  const code = `provider.recipient-${refusal}`;
  return new NodeError(`${code}: ${provider} answered ${response.status}${detail ? ` (${detail})` : ''}`, { code });
}

/** The recipient refusal a sender's error is (`recipientRefused`), else null. */
export function recipientRefusalOf(error: unknown): RecipientRefusal | null {
  return error instanceof NodeError && !error.retryable ? (REFUSAL_CODES[error.stepCode] ?? null) : null;
}

/**
 * A sender's request to its provider's API through `ctx.http`. The provider not answering —
 * a timeout or a connection error, which the client throws retryable under its own `http.*`
 * codes — fails the step `provider.unavailable` (retried), as NODES.md names it; a target the
 * client refuses (a private `endpoint`) stays as it is. Answers outside 2xx are the caller's
 * to judge, with `providerFailure`.
 *
 * @example
 * const res = await providerRequest('Postmark', ctx.http, { method: 'POST', url, headers, body });
 * if (res.status !== 200) throw providerFailure('Postmark', res);
 */
export async function providerRequest(provider: string, http: HttpClient, request: HttpRequest): Promise<HttpResponse> {
  try {
    return await http.request(request);
  } catch (error) {
    if (!isRetryable(error)) throw error;
    const text = error instanceof Error ? error.message : String(error);
    throw new RetryableError(`provider.unavailable: ${provider} could not be reached (${text})`, {
      code: 'provider.unavailable',
      cause: error,
    });
  }
}

/**
 * A provider webhook's body read as JSON (a leading byte order mark ignored); not JSON → the
 * `invalid_json` error (HTTP 400).
 *
 * @example
 * const records = jsonBody(request) as SendGridEvent[];
 */
export function jsonBody(request: ProviderRequest): unknown {
  try {
    return parseJsonText(request.rawBody.toString('utf8'));
  } catch {
    throw new WaymarkError('invalid_json', 'the body is not valid JSON');
  }
}
