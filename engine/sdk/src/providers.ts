import { timingSafeEqual } from 'node:crypto';
import type { JsonObject } from './json.js';
import type { HttpClient, PreparedMessage } from './services.js';

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
 * with `{ code }` (`provider.auth`, `provider.rejected`, `provider.unavailable`) on failure.
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

/** One delivery, bounce, complaint or SMS status a provider reported. */
export interface ProviderEvent {
  /** The provider's id of this event: a repeat of it is recorded once. */
  id: string;
  type: 'delivered' | 'bounced' | 'complained' | 'sms.delivered' | 'sms.failed';
  /** The `waymark_message` the provider echoes back, when it does. */
  waymarkMessageId?: string;
  /** The provider's id of the message (what its send answered). */
  providerId?: string;
  /** The address the event is about (email), the last way to match it to a contact. */
  recipient?: string;
  kind?: 'hard' | 'soft';
  status?: string;
  code?: string;
}

/**
 * The part of a credential type that takes its provider's event webhook,
 * `POST /hooks/providers/<provider>`. `parse` throws `ValidationError` for a body not in the
 * provider's format and answers one entry per record, `null` for a record of no interest
 * (counted `ignored`); `verify` answers whether this credential's data authenticates the request.
 */
export interface CredentialEvents {
  provider: string;
  verify(request: ProviderRequest, data: JsonObject): boolean | Promise<boolean>;
  parse(request: ProviderRequest): (ProviderEvent | null)[];
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
