import type { ParsedMail, StructuredHeader } from 'mailparser';

/** One recipient's line of a delivery report (RFC 3464 §2.3). */
export interface ReportedRecipient {
  /** `failed`, `delayed`, `delivered`, `relayed` or `expanded`. */
  action: string;
  /** The enhanced status code (`5.1.1`), taken from `Diagnostic-Code` when `Status` is missing. */
  status: string | null;
  recipient: string | null;
}

/** What a delivery status notification says, and which message it reports on. */
export interface DeliveryReport {
  recipients: ReportedRecipient[];
  /** Message-IDs of the returned original (its full text or its headers). */
  originalMessageIds: string[];
}

const STATUS_PARTS = new Set(['message/delivery-status', 'message/global-delivery-status']);
const ORIGINAL_PARTS = new Set(['message/rfc822', 'text/rfc822-headers', 'message/global', 'message/global-headers']);

/** The `x.y.z` code in a Status field, else derived from an SMTP reply in Diagnostic-Code. */
function statusCode(status: string | null, diagnostic: string | null): string | null {
  const enhanced = /\b([245]\.\d{1,3}\.\d{1,3})\b/;
  const found = (status && enhanced.exec(status)?.[1]) || (diagnostic && enhanced.exec(diagnostic)?.[1]);
  if (found) return found;
  const smtp = diagnostic && /\b([45])\d\d\b/.exec(diagnostic)?.[1];
  return smtp ? `${smtp}.0.0` : null;
}

/**
 * The field groups of a `message/delivery-status` body. Each group is header-shaped (RFC 822
 * fields, folded lines included), so mailparser reads it as a header section.
 */
async function fieldGroups(content: Buffer): Promise<Map<string, string>[]> {
  const groups = content
    .toString('utf8')
    .split(/\r?\n(?:[ \t]*\r?\n)+/)
    .filter((g) => g.trim() !== '');
  const { simpleParser } = await import('mailparser');
  return Promise.all(
    groups.map(async (group) => {
      const parsed = await simpleParser(`${group}\r\n\r\n`, { checksumAlgo: false });
      const fields = new Map<string, string>();
      for (const [name, value] of parsed.headers) if (typeof value === 'string') fields.set(name, value);
      return fields;
    }),
  );
}

/** The Message-IDs of a returned original message or of its headers alone. */
async function originalIds(content: Buffer): Promise<string[]> {
  const text = content.toString('utf8');
  const { simpleParser } = await import('mailparser');
  // Headers alone have no blank line after them; add one so the parser sees a header section.
  const parsed = await simpleParser(/\r?\n\r?\n/.test(text) ? content : `${text}\r\n\r\n`, { checksumAlgo: false });
  return parsed.messageId ? [parsed.messageId] : [];
}

/**
 * Reads an RFC 3464 delivery status notification: `multipart/report;
 * report-type=delivery-status`, with a `message/delivery-status` part and usually the
 * original message (or its headers). Null for any other mail.
 */
export async function readDeliveryReport(mail: ParsedMail): Promise<DeliveryReport | null> {
  const type = mail.headers.get('content-type') as StructuredHeader | undefined;
  if (type?.value?.toLowerCase() !== 'multipart/report') return null;
  if ((type.params?.['report-type'] ?? '').toLowerCase() !== 'delivery-status') return null;
  const recipients: ReportedRecipient[] = [];
  const originalMessageIds: string[] = [];
  for (const part of mail.attachments) {
    const partType = part.contentType.toLowerCase();
    if (STATUS_PARTS.has(partType)) {
      const [, ...perRecipient] = await fieldGroups(part.content);
      for (const fields of perRecipient) {
        const action = fields.get('action')?.trim().toLowerCase();
        if (!action) continue;
        const recipient = fields.get('final-recipient') ?? fields.get('original-recipient') ?? null;
        recipients.push({
          action,
          status: statusCode(fields.get('status') ?? null, fields.get('diagnostic-code') ?? null),
          recipient: recipient?.replace(/^[^;]*;\s*/, '').trim() || null,
        });
      }
    } else if (ORIGINAL_PARTS.has(partType)) {
      originalMessageIds.push(...(await originalIds(part.content)));
    }
  }
  return { recipients, originalMessageIds };
}
