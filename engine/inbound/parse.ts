import { ValidationError } from '@waymark/sdk';
import type { AddressObject, ParsedMail } from 'mailparser';
import { type DeliveryReport, readDeliveryReport } from './delivery-report.js';

/** An inbound email as the rest of engine/inbound needs it, decoded by mailparser. */
export interface InboundMail {
  /** Its own Message-ID, angle brackets included. */
  messageId: string | null;
  /** Message-IDs it answers: In-Reply-To first, then References from the newest back. */
  answers: string[];
  subject: string;
  from: string | null;
  /** Addresses its headers say it was for (To, Cc, Delivered-To, X-Original-To, Envelope-To). */
  recipients: string[];
  /** The plain text in any charset, decoded; HTML converted when there is no text part. */
  text: string;
  /** Lower-cased header name → its first value as text (for the auto-reply checks). */
  header(name: string): string | null;
  /** The RFC 3464 delivery report when the mail is one (`multipart/report`), else null. */
  report: DeliveryReport | null;
}

const PARSER_OPTIONS = {
  keepDeliveryStatus: true,
  skipImageLinks: true,
  keepCidLinks: true,
  skipTextToHtml: true,
  checksumAlgo: false,
  // A returned original inside a delivery report stays a part of its own, whatever its disposition.
  ignoreEmbedded: true,
  maxHtmlLengthToParse: 2 * 1024 * 1024,
} as const;

const RECIPIENT_HEADERS = ['to', 'cc', 'delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to'];

function malformed(problem: string, options?: ErrorOptions): ValidationError {
  return new ValidationError(`the message is not valid MIME: ${problem}`, [{ path: '', message: problem }], options);
}

/** Every `<id>` in a header value (`References` lists several, separated by folding white space). */
export function messageIds(value: unknown): string[] {
  const texts = Array.isArray(value) ? value : value ? [value] : [];
  return texts.flatMap((t) => String(t).match(/<[^<>\s]+>/g) ?? []);
}

function addresses(value: unknown): string[] {
  const list = (Array.isArray(value) ? value : value ? [value] : []) as (AddressObject | string)[];
  return list
    .flatMap((entry) => {
      if (typeof entry === 'string') return entry.match(/[^\s<>,;"]+@[^\s<>,;"]+/g) ?? [];
      return entry.value.flatMap((a) => [a.address, ...(a.group ?? []).map((g) => g.address)]);
    })
    .filter((a): a is string => Boolean(a));
}

function headerText(mail: ParsedMail, name: string): string | null {
  const value = mail.headers.get(name);
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || first === null) return null;
  if (typeof first === 'string') return first;
  if (first instanceof Date) return first.toISOString();
  if ('text' in first && typeof first.text === 'string') return first.text;
  if ('value' in first && typeof first.value === 'string') return first.value;
  return null;
}

/**
 * Parses raw MIME with mailparser (charsets, transfer encodings and HTML-only bodies are its
 * job). Throws `ValidationError` naming the problem for what is not an email: an empty body,
 * no header section, no From address, or a structure the parser refuses.
 *
 * @example
 * const mail = await parseInbound(Buffer.from('From: ann@x.io\r\nSubject: Re: Hi\r\n\r\nYes!'));
 * mail.text // 'Yes!'
 */
export async function parseInbound(raw: Buffer): Promise<InboundMail> {
  if (raw.length === 0 || raw.toString('latin1').trim() === '') throw malformed('the body is empty');
  // Loaded at the first mail a process reads: about 0.4 s of imports every start paid.
  const { simpleParser } = await import('mailparser');
  let mail: ParsedMail;
  try {
    mail = await simpleParser(raw, PARSER_OPTIONS);
  } catch (error) {
    throw malformed(error instanceof Error ? error.message : String(error), { cause: error });
  }
  if (!mail.headerLines.some((h) => h.key !== ''))
    throw malformed('no header section (header lines such as "From: …", then a blank line, then the body)');
  const from = mail.from?.value.find((a) => a.address)?.address ?? null;
  if (!from) throw malformed('no From address');
  const report = await readDeliveryReport(mail);
  return {
    messageId: mail.messageId ?? null,
    answers: [...messageIds(mail.inReplyTo), ...messageIds(mail.references).reverse()],
    subject: mail.subject ?? '',
    from,
    recipients: RECIPIENT_HEADERS.flatMap((name) => addresses(mail.headers.get(name))),
    text: mail.text ?? '',
    header: (name) => headerText(mail, name.toLowerCase()),
    report,
  };
}
