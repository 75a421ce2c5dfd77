import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { HttpClient, JsonObject, ProviderContext, ProviderRequest } from '@waymark/sdk';
import { certificateKey } from './certificates.js';

/** An Amazon SNS message as SNS posts it over HTTP(S) (docs.aws.amazon.com/sns, "HTTP/S message formats"). */
export interface SnsMessage {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  /** The signature's fields: a message without them is unsigned, which verifies nothing (401). */
  SignatureVersion?: string;
  Signature?: string;
  SigningCertURL?: string;
  Subject?: string;
  Token?: string;
  SubscribeURL?: string;
}

const TYPES = new Set(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']);

/**
 * The body as an SNS message, or null when it is not one (the caller answers 400). The
 * signature's fields may be missing (an unsigned message, refused 401 as a missing webhook
 * login is); present, they are strings.
 */
export function snsMessage(request: ProviderRequest): SnsMessage | null {
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    return null;
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  const m = body as Record<string, unknown>;
  const strings = ['MessageId', 'TopicArn', 'Message', 'Timestamp'];
  const signature = ['SignatureVersion', 'Signature', 'SigningCertURL'];
  if (!TYPES.has(String(m.Type)) || strings.some((k) => typeof m[k] !== 'string')) return null;
  if (signature.some((k) => m[k] !== undefined && typeof m[k] !== 'string')) return null;
  return body as SnsMessage;
}

/**
 * The string SNS signs: each field's name and value on their own lines, in this order, the
 * optional Subject only when present (docs.aws.amazon.com/sns, "Verifying the signatures").
 */
export function canonicalString(m: SnsMessage): string {
  const fields =
    m.Type === 'Notification'
      ? ['Message', 'MessageId', ...(m.Subject !== undefined ? ['Subject'] : []), 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return fields.map((f) => `${f}\n${String(m[f as keyof SnsMessage] ?? '')}\n`).join('');
}

/**
 * Whether a URL is on an SNS host of AWS (`https://sns.<region>.amazonaws.com/…`): the only
 * place a signing certificate is fetched from, or a subscription confirmed at.
 */
export function isSnsUrl(text: string, suffix = ''): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (
    url.protocol === 'https:' &&
    url.port === '' &&
    url.username === '' &&
    url.password === '' &&
    /^sns\.[a-z]{2}(-[a-z]+)+-\d+\.amazonaws\.com(\.cn)?$/.test(url.hostname) &&
    url.pathname.endsWith(suffix)
  );
}

/** The key that checks the signature: the credential's own certificate, else the one SNS names (kept a while). */
async function signingKey(m: SnsMessage, data: JsonObject, http: HttpClient): Promise<KeyObject | null> {
  try {
    if (typeof data.snsCertificate === 'string') return createPublicKey(data.snsCertificate);
    if (m.SigningCertURL === undefined || !isSnsUrl(m.SigningCertURL, '.pem')) return null;
    return await certificateKey(m.SigningCertURL, http);
  } catch {
    return null; // a pinned certificate that does not parse verifies nothing
  }
}

/**
 * An SNS message is this credential's when its topic is one of `snsTopicArns` and its
 * signature (version 1: SHA1withRSA, 2: SHA256withRSA) verifies over the canonical string.
 * A credential without topics verifies nothing.
 */
export async function verifySns(request: ProviderRequest, data: JsonObject, ctx: ProviderContext): Promise<boolean> {
  const m = snsMessage(request);
  const topics = Array.isArray(data.snsTopicArns) ? data.snsTopicArns : [];
  if (!m || !topics.includes(m.TopicArn)) return false;
  const algorithm = m.SignatureVersion === '1' ? 'sha1' : m.SignatureVersion === '2' ? 'sha256' : null;
  if (!algorithm || m.Signature === undefined) return false;
  const key = await signingKey(m, data, ctx.http);
  if (!key) return false;
  try {
    return verify(algorithm, Buffer.from(canonicalString(m)), key, Buffer.from(m.Signature, 'base64'));
  } catch {
    return false;
  }
}

/**
 * A verified SubscriptionConfirmation is confirmed by visiting its SubscribeURL; after that SNS
 * starts posting the topic's notifications. Verified by SNS's certificate, the URL must be on
 * SNS's own host (whoever signed it, the visit may go nowhere else); verified by the credential's
 * own `snsCertificate`, the signer is the one the account trusts, wherever it runs (an SNS
 * stand-in, a LocalStack), and its URL is visited under `ctx.http`'s address rule.
 */
export async function confirmSubscription(
  request: ProviderRequest,
  data: JsonObject,
  ctx: ProviderContext,
): Promise<void> {
  const m = snsMessage(request);
  if (m?.Type !== 'SubscriptionConfirmation' || !m.SubscribeURL) return;
  if (typeof data.snsCertificate !== 'string' && !isSnsUrl(m.SubscribeURL)) return;
  const res = await ctx.http.request({ method: 'GET', url: m.SubscribeURL, timeoutMs: 10_000 });
  if (res.status !== 200) throw new Error(`SNS answered ${res.status} to the subscription confirmation`);
}
