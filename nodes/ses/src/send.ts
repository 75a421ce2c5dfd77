import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { mailWithOwnId } from '@waymark/nodes-email/smtp-mail';
import {
  endpointOf,
  type JsonObject,
  type PreparedMessage,
  providerFailure,
  providerRequest,
  type SenderContext,
} from '@waymark/sdk';
import MailComposer from 'nodemailer/lib/mail-composer';

/** The whole MIME message, as SMTP would carry it (SES signs it with its own Easy DKIM). */
async function rawMime(message: PreparedMessage): Promise<Buffer> {
  const { dkim: _signedBySes, ...mail } = mailWithOwnId(message);
  return new MailComposer(mail).compile().build();
}

/** Signs a request to SES with Signature Version 4 (service `ses`), as the AWS SDK does. */
export function sesSigner(data: JsonObject): SignatureV4 {
  return new SignatureV4({
    service: 'ses',
    region: String(data.region),
    sha256: Hash.bind(null, 'sha256'),
    credentials: {
      accessKeyId: String(data.accessKeyId),
      secretAccessKey: String(data.secretAccessKey),
      ...(typeof data.sessionToken === 'string' ? { sessionToken: data.sessionToken } : {}),
    },
  });
}

/**
 * A header of the composed message, unfolded, as nodemailer wrote it: a name beyond ASCII in
 * MIME encoded words, a domain beyond ASCII in Punycode. SES takes an address only so (SES v2
 * `Destination`: "the email address string must be 7-bit ASCII") and answers anything else 400.
 */
function headerOf(raw: Buffer, name: string): string {
  const head = raw.subarray(0, raw.indexOf('\r\n\r\n')).toString('latin1');
  const match = new RegExp(`^${name}: (.*(?:\r\n[ \t].*)*)`, 'im').exec(head);
  return (match?.[1] ?? '').replace(/\r\n(?=[ \t])/g, '');
}

// SES v2 names its error in x-amzn-ErrorType (and the body's __type); throttling is not always a 429.
const THROTTLED = /^(TooManyRequestsException|ThrottlingException|Throttling)\b/;

/**
 * Sends one email with SES v2 `SendEmail` (`POST /v2/email/outbound-emails`, docs.aws.amazon.com
 * SES API v2): the whole MIME message as `Content.Raw`, Waymark's id as the `waymark_message`
 * tag. The answer's `MessageId` becomes the providerId.
 */
export async function sendSes(message: PreparedMessage, ctx: SenderContext): Promise<{ providerId: string }> {
  const { data } = ctx;
  const url = new URL(
    `${endpointOf(data, `https://email.${String(data.region)}.amazonaws.com`)}/v2/email/outbound-emails`,
  );
  const raw = await rawMime(message);
  const body = JSON.stringify({
    FromEmailAddress: headerOf(raw, 'From'),
    Destination: { ToAddresses: [headerOf(raw, 'To')] },
    Content: { Raw: { Data: raw.toString('base64') } },
    EmailTags: [{ Name: 'waymark_message', Value: message.messageId }],
    ...(typeof data.configurationSet === 'string' ? { ConfigurationSetName: data.configurationSet } : {}),
  });
  const signed = await sesSigner(data).sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query: {},
    headers: { host: url.host, 'content-type': 'application/json' },
    body,
  });
  const res = await providerRequest('SES', ctx.http, {
    method: 'POST',
    url: url.href,
    headers: signed.headers as Record<string, string>,
    body,
  });
  const answer = (res.body && typeof res.body === 'object' && !Array.isArray(res.body) ? res.body : {}) as {
    MessageId?: string;
    message?: string;
    Message?: string;
    __type?: string;
  };
  if (res.status === 200 && answer.MessageId) return { providerId: answer.MessageId };
  const type = String(res.headers['x-amzn-errortype'] ?? answer.__type ?? '').replace(/^.*#/, '');
  const detail = [type, answer.message ?? answer.Message].filter(Boolean).join(': ');
  // A throttled send is held and retried like any 429 (API.md "Sending credentials").
  const status = THROTTLED.test(type) ? 429 : res.status === 200 ? 502 : res.status;
  throw providerFailure('SES', { ...res, status }, detail || undefined);
}
