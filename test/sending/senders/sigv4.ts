import { createHash, createHmac } from 'node:crypto';
import type { ReceivedRequest } from '../stand-in.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();

/**
 * Checks an AWS Signature Version 4 as AWS does (docs.aws.amazon.com/IAM, "Create a signed AWS
 * API request"), written out here rather than with the signer under test: the canonical
 * request over the signed headers as received, the string to sign, the derived key.
 * Answers what it found wrong, or null.
 */
export function sigv4Problem(request: ReceivedRequest, secrets: Record<string, string>, service: string) {
  const auth = String(request.headers.authorization ?? '');
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!match) return 'no SigV4 Authorization header';
  const [, keyId, day, region, signedService, signedHeaders, signature] = match as unknown as string[];
  const secret = secrets[keyId as string];
  if (!secret) return `unknown access key ${keyId}`;
  if (signedService !== service) return `signed for ${signedService}`;
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(day as string)) return 'x-amz-date does not match the credential scope';
  const names = (signedHeaders as string).split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return 'host and x-amz-date must be signed';
  const url = new URL(request.url, 'http://stand-in');
  const query = [...url.searchParams].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).sort();
  const canonical = [
    request.method,
    url.pathname,
    query.join('&'),
    names
      .map(
        (n) =>
          `${n}:${String(request.headers[n] ?? '')
            .trim()
            .replace(/\s+/g, ' ')}\n`,
      )
      .join(''),
    signedHeaders,
    sha256(request.body),
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day as string), region as string), service), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex') === signature ? null : 'the signature does not match';
}
