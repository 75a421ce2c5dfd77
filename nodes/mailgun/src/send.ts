import { randomUUID } from 'node:crypto';
import {
  endpointOf,
  ownMessageId,
  type PreparedMessage,
  providerFailure,
  providerRequest,
  type SenderContext,
} from '@waymark/sdk';

/** A multipart/form-data body (RFC 7578) of text fields, in order. */
function multipart(fields: [string, string][]): { body: string; contentType: string } {
  const boundary = `waymark-${randomUUID()}`;
  const parts = fields.map(
    ([name, value]) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name.replace(/["\r\n]/g, '')}"\r\n\r\n${value}\r\n`,
  );
  return { body: `${parts.join('')}--${boundary}--\r\n`, contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * Sends one email with Mailgun's `POST /v3/<domain>/messages` (documentation.mailgun.com,
 * Messages API). The answer's `id`, without its angle brackets, becomes the providerId.
 */
export async function sendMailgun(message: PreparedMessage, ctx: SenderContext): Promise<{ providerId: string }> {
  const { data } = ctx;
  const fields: [string, string][] = [
    ['from', message.from ?? ''],
    ['to', message.to],
    ['subject', message.subject ?? ''],
    ['html', message.html ?? ''],
  ];
  if (message.text) fields.push(['text', message.text]);
  if (message.replyTo) fields.push(['h:Reply-To', message.replyTo]);
  for (const [name, value] of Object.entries(message.headers)) fields.push([`h:${name}`, value]);
  // Waymark's Message-ID, which replies name: Mailgun takes it as a custom header.
  fields.push(['h:Message-Id', ownMessageId(message)]);
  fields.push(['v:waymark_message', message.messageId], ['o:tracking', 'no']);
  const { body, contentType } = multipart(fields);
  const res = await providerRequest('Mailgun', ctx.http, {
    method: 'POST',
    url: `${endpointOf(data, 'https://api.mailgun.net')}/v3/${encodeURIComponent(String(data.domain))}/messages`,
    headers: {
      authorization: `Basic ${Buffer.from(`api:${String(data.apiKey)}`).toString('base64')}`,
      'content-type': contentType,
    },
    body,
  });
  const answer = (res.body && typeof res.body === 'object' && !Array.isArray(res.body) ? res.body : {}) as {
    id?: string;
    message?: string;
  };
  if (res.status === 200 && answer.id) return { providerId: answer.id.replace(/^<|>$/g, '') };
  throw providerFailure('Mailgun', res, answer.message);
}
