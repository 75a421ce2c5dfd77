import { jsonBody, type ProviderEvent, type ProviderRequest, ValidationError } from '@waymark/sdk';
import { snsMessage } from './sns.js';

type Recipient = { emailAddress?: string; status?: string };

/** An SES event (event publishing: `eventType`) or notification (`notificationType`), the SNS `Message`. */
interface SesEvent {
  eventType?: string;
  notificationType?: string;
  mail?: { messageId?: string; tags?: Record<string, string[]> };
  bounce?: { bounceType?: string; bouncedRecipients?: Recipient[] };
  complaint?: { complainedRecipients?: Recipient[] };
  delivery?: { recipients?: string[] };
}

function sesEvent(text: string): SesEvent | null {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as SesEvent) : null;
  } catch {
    return null;
  }
}

/**
 * The events of one SNS post from SES (docs.aws.amazon.com/ses, "Amazon SNS notification
 * contents" and "Event publishing"): a delivery, bounce or complaint becomes one event per
 * recipient, keyed by SNS's MessageId and the recipient; subscription messages and other SES
 * events carry none. A body that is no SNS message is 400.
 */
export function parseSes(request: ProviderRequest): (ProviderEvent | null)[] {
  jsonBody(request); // not JSON at all: invalid_json
  const m = snsMessage(request);
  if (!m) {
    throw new ValidationError('the body is no Amazon SNS message', [
      { path: '/Type', message: 'an SNS message has a Type, MessageId, TopicArn, Message and its signature' },
    ]);
  }
  if (m.Type !== 'Notification') return [];
  const event = sesEvent(m.Message);
  const type = event?.eventType ?? event?.notificationType;
  if (!event || !type) return [null];
  const waymark = event.mail?.tags?.waymark_message?.[0];
  const common = {
    ...(waymark ? { waymarkMessageId: waymark } : {}),
    ...(event.mail?.messageId ? { providerId: event.mail.messageId } : {}),
  };
  const each = (recipient: string | undefined, fields: Omit<ProviderEvent, 'id'>): ProviderEvent => ({
    id: `${m.MessageId}:${recipient ?? ''}`,
    ...fields,
    ...common,
    ...(recipient ? { recipient } : {}),
  });
  switch (type) {
    case 'Delivery':
      return (event.delivery?.recipients ?? []).map((r) => each(r, { type: 'delivered' }));
    case 'Bounce': {
      const bounceType = event.bounce?.bounceType ?? 'Undetermined';
      const kind = bounceType === 'Permanent' ? 'hard' : 'soft';
      return (event.bounce?.bouncedRecipients ?? []).map((r) =>
        each(r.emailAddress, { type: 'bounced', kind, status: r.status ?? bounceType }),
      );
    }
    case 'Complaint':
      return (event.complaint?.complainedRecipients ?? []).map((r) => each(r.emailAddress, { type: 'complained' }));
    default:
      return [null];
  }
}
