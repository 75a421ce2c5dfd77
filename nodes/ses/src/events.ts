import { expectShape, jsonBody, type ProviderEvent, type ProviderRequest, ValidationError } from '@waymark/sdk';
import { snsMessage } from './sns.js';

const STRING = { type: 'string' } as const;
const RECIPIENTS = {
  type: 'array',
  items: { type: 'object', properties: { emailAddress: STRING, status: STRING } },
} as const;

/**
 * The fields of an SES event (event publishing: `eventType`) or notification
 * (`notificationType`), the SNS `Message`, that are read, with their types.
 */
const SES_EVENT = {
  type: 'object',
  properties: {
    eventType: STRING,
    notificationType: STRING,
    mail: {
      type: 'object',
      properties: {
        messageId: STRING,
        tags: { type: 'object', properties: { waymark_message: { type: 'array', items: STRING } } },
      },
    },
    bounce: { type: 'object', properties: { bounceType: STRING, bouncedRecipients: RECIPIENTS } },
    complaint: { type: 'object', properties: { complainedRecipients: RECIPIENTS } },
    delivery: { type: 'object', properties: { recipients: { type: 'array', items: STRING } } },
  },
} as const;

/** The SNS `Message` as an SES event; null when it is no JSON object (then of no interest). */
function sesEvent(text: string) {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  return expectShape(value, SES_EVENT, 'SES event', '/Message');
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
