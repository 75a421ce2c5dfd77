import {
  endpointOf,
  ownMessageId,
  type PreparedMessage,
  providerFailure,
  providerRequest,
  type SenderContext,
} from '@waymark/sdk';

/**
 * Sends one email with Postmark's `POST /email` (postmarkapp.com/developer/api/email-api);
 * marketing goes on the broadcast stream. Postmark's `MessageID` becomes the providerId.
 */
export async function sendPostmark(message: PreparedMessage, ctx: SenderContext): Promise<{ providerId: string }> {
  const { data } = ctx;
  const stream = String(data.messageStream ?? 'outbound');
  const body = {
    From: message.from,
    To: message.to,
    Subject: message.subject,
    HtmlBody: message.html,
    ...(message.text ? { TextBody: message.text } : {}),
    ...(message.replyTo ? { ReplyTo: message.replyTo } : {}),
    // Waymark's Message-ID, which replies name: Postmark keeps one given in Headers.
    Headers: [
      ...Object.entries(message.headers).map(([Name, Value]) => ({ Name, Value })),
      { Name: 'Message-ID', Value: ownMessageId(message) },
    ],
    MessageStream: message.category === 'marketing' ? String(data.broadcastStream ?? stream) : stream,
    Metadata: { waymark_message: message.messageId },
    // Waymark tracks opens and clicks itself.
    TrackOpens: false,
    TrackLinks: 'None',
  };
  const res = await providerRequest('Postmark', ctx.http, {
    method: 'POST',
    url: `${endpointOf(data, 'https://api.postmarkapp.com')}/email`,
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      'x-postmark-server-token': String(data.serverToken),
    },
    body: JSON.stringify(body),
  });
  const answer = (res.body && typeof res.body === 'object' && !Array.isArray(res.body) ? res.body : {}) as {
    ErrorCode?: number;
    Message?: string;
    MessageID?: string;
  };
  // Postmark refuses a message with an ErrorCode (406: inactive recipient, 300: invalid email),
  // mostly under 422; one under 200 is a refusal all the same, told as answered. Each is
  // provider.rejected naming its code: NODES.md names 406 as its example (contracts/sending.md).
  const refusal = answer.ErrorCode ? `ErrorCode ${answer.ErrorCode}: ${answer.Message ?? ''}` : undefined;
  if (res.status === 200 && !answer.ErrorCode && answer.MessageID) return { providerId: answer.MessageID };
  throw providerFailure('Postmark', res, refusal);
}
