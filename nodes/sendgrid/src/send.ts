import {
  endpointOf,
  ownMessageId,
  type PreparedMessage,
  providerFailure,
  providerRequest,
  type SenderContext,
} from '@waymark/sdk';

/** `News <news@example.com>` → `{ email, name }`; a bare address → `{ email }`. */
export function addressOf(value: string): { email: string; name?: string } {
  const match = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(value);
  if (!match) return { email: value.trim() };
  const name = match[1]?.trim();
  return { email: (match[2] ?? '').trim(), ...(name ? { name } : {}) };
}

/**
 * Sends one email with SendGrid's `POST /v3/mail/send` (docs.sendgrid.com, Mail Send). SendGrid
 * answers 202 with the message id in `X-Message-Id`, which becomes the providerId.
 */
export async function sendSendGrid(message: PreparedMessage, ctx: SenderContext): Promise<{ providerId?: string }> {
  const { data } = ctx;
  const content = [
    ...(message.text ? [{ type: 'text/plain', value: message.text }] : []),
    { type: 'text/html', value: message.html ?? '' },
  ];
  const body = {
    personalizations: [{ to: [{ email: message.to }], custom_args: { waymark_message: message.messageId } }],
    from: addressOf(message.from ?? ''),
    ...(message.replyTo ? { reply_to: addressOf(message.replyTo) } : {}),
    subject: message.subject,
    content,
    // Waymark's Message-ID, which replies name (not one of SendGrid's reserved headers).
    headers: { ...message.headers, 'Message-ID': ownMessageId(message) },
    // Waymark tracks opens and clicks itself.
    tracking_settings: { click_tracking: { enable: false }, open_tracking: { enable: false } },
  };
  const res = await providerRequest('SendGrid', ctx.http, {
    method: 'POST',
    url: `${endpointOf(data, 'https://api.sendgrid.com')}/v3/mail/send`,
    headers: { authorization: `Bearer ${String(data.apiKey)}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status === 202 || res.status === 200) {
    const id = res.headers['x-message-id'];
    return id ? { providerId: id } : {};
  }
  const errors = (res.body as { errors?: { message?: string }[] } | null)?.errors;
  throw providerFailure('SendGrid', res, errors?.map((e) => e.message).join('; '));
}
