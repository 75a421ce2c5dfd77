import {
  expectShape,
  type JsonObject,
  jsonBody,
  type ProviderEvent,
  type ProviderRequest,
  safeEqual,
} from '@waymark/sdk';

/**
 * Postmark posts with the user and password of the webhook URL as HTTP basic auth. The scheme
 * is matched whatever its case, and spaces may follow it (RFC 9110 §11.1, §11.4).
 */
export function verifyPostmark(request: ProviderRequest, data: JsonObject): boolean {
  const { webhookUsername: user, webhookPassword: password } = data;
  if (typeof user !== 'string' || typeof password !== 'string') return false;
  const given = /^basic +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
  return safeEqual(given, Buffer.from(`${user}:${password}`).toString('base64'));
}

const HARD = new Set(['HardBounce', 'BadEmailAddress', 'ManuallyDeactivated']);
const SOFT = new Set(['SoftBounce', 'Transient', 'DnsError', 'Blocked', 'DMARCPolicy', 'Unknown']);

/** The fields of a Postmark webhook record that are read, with their types. */
const RECORD = {
  type: 'object',
  properties: {
    RecordType: { type: 'string' },
    ID: { type: ['integer', 'string'] },
    Type: { type: 'string' },
    Inactive: { type: 'boolean' },
    MessageID: { type: 'string' },
    Email: { type: 'string' },
    Recipient: { type: 'string' },
    Metadata: { type: 'object', properties: { waymark_message: { type: 'string' } } },
  },
  required: ['RecordType'],
} as const;

/**
 * One Postmark webhook record (postmarkapp.com/developer/webhooks): a delivery, a bounce
 * (hard or soft by its `Type`) or a spam complaint; anything else is ignored.
 */
export function parsePostmark(request: ProviderRequest): (ProviderEvent | null)[] {
  const record = expectShape(jsonBody(request), RECORD, 'Postmark webhook record');
  // Postmark's IDs run past 2^53: JSON.parse rounds them, so they are read from the raw text.
  const rawId = /"ID"\s*:\s*(\d+)/.exec(request.rawBody.toString('utf8'))?.[1];
  const id = rawId ?? String(record.ID);
  const common = {
    ...(record.Metadata?.waymark_message ? { waymarkMessageId: record.Metadata.waymark_message } : {}),
    ...(record.MessageID ? { providerId: record.MessageID } : {}),
  };
  switch (record.RecordType) {
    case 'Delivery':
      return [
        {
          id: `${record.MessageID}:Delivery`,
          type: 'delivered',
          ...common,
          ...(record.Recipient ? { recipient: record.Recipient } : {}),
        },
      ];
    case 'Bounce': {
      const type = record.Type ?? '';
      const kind = HARD.has(type) || record.Inactive === true ? 'hard' : SOFT.has(type) ? 'soft' : null;
      if (!kind) return [null];
      const recipient = record.Email ? { recipient: record.Email } : {};
      return [{ id, type: 'bounced', kind, status: type, ...common, ...recipient }];
    }
    case 'SpamComplaint':
      return [{ id, type: 'complained', ...common, ...(record.Email ? { recipient: record.Email } : {}) }];
    default:
      return [null];
  }
}
