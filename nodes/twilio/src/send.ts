import {
  endpointOf,
  type PreparedMessage,
  providerFailure,
  providerRequest,
  recipientRefused,
  type SenderContext,
} from '@waymark/sdk';

/** Twilio's error for a send to a number that opted out of the sender (replied STOP): twilio.com/docs/errors/21610. */
const UNSUBSCRIBED_RECIPIENT = 21610;

/**
 * Sends one SMS with Twilio's `POST /2010-04-01/Accounts/<sid>/Messages.json` (twilio.com/docs,
 * Messages resource), asking for status callbacks at Waymark's provider webhook. Twilio's
 * answer (201) carries the message `sid`, which becomes the providerId.
 */
export async function sendTwilio(message: PreparedMessage, ctx: SenderContext): Promise<{ providerId: string }> {
  const { data } = ctx;
  const sid = String(data.accountSid);
  const form = new URLSearchParams({ To: message.to });
  if (typeof data.messagingServiceSid === 'string') form.set('MessagingServiceSid', data.messagingServiceSid);
  else form.set('From', String(data.from));
  form.set('Body', message.text ?? '');
  form.set('StatusCallback', `${ctx.publicUrl}/hooks/providers/twilio`);
  const res = await providerRequest('Twilio', ctx.http, {
    method: 'POST',
    url: `${endpointOf(data, 'https://api.twilio.com')}/2010-04-01/Accounts/${encodeURIComponent(sid)}/Messages.json`,
    headers: {
      authorization: `Basic ${Buffer.from(`${sid}:${String(data.authToken)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: form.toString(),
  });
  const answer = (res.body && typeof res.body === 'object' && !Array.isArray(res.body) ? res.body : {}) as {
    sid?: string;
    code?: number;
    message?: string;
  };
  if ((res.status === 201 || res.status === 200) && answer.sid) return { providerId: answer.sid };
  // Twilio's error body: { code, message, more_info, status }.
  const detail = answer.code ? `error ${answer.code}: ${answer.message ?? ''}` : answer.message;
  if (answer.code === UNSUBSCRIBED_RECIPIENT) throw recipientRefused('unsubscribed', 'Twilio', res, detail);
  throw providerFailure('Twilio', res, detail);
}
