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
  const body = JSON.stringify({
    FromEmailAddress: message.from,
    Destination: { ToAddresses: [message.to] },
    Content: { Raw: { Data: (await rawMime(message)).toString('base64') } },
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
