import { createHash } from 'node:crypto';
import { type JsonObject, ValidationError } from '@waymark/sdk';
import { countTriggerSteps, newTally, recordEvent } from '../events/record.js';
import type { Runtime } from '../runtime.js';
import { type InboundAddress, inboundAddress } from './addresses.js';
import { classify } from './classify.js';
import { matchMessage } from './match.js';
import { type InboundMail, parseInbound } from './parse.js';
import { inboundStats } from './stats.js';
import { stripQuoted } from './strip-quoted.js';
import { applyBounce } from './suppression.js';

/** What became of one inbound mail. */
export type InboundResult =
  | { outcome: 'replied' | 'auto-replied' | 'bounced'; messageId: string; eventId: string | null }
  | { outcome: 'unmatched' | 'ignored'; reason: string };

/** Where a mail came in: the SMTP listener knows its envelope, the webhook reads its headers. */
export interface InboundSource {
  via: 'smtp' | 'webhook';
  /** The envelope recipients (SMTP); without them the To, Cc and Delivered-To headers count. */
  recipients?: readonly string[];
}

const EVENT_NAMES = { reply: 'email.replied', 'auto-reply': 'email.auto-replied' } as const;

/**
 * Takes one raw inbound mail: parses it, tells reply, automatic answer and delivery report
 * apart, matches it to the email it answers and records `email.replied`, `email.auto-replied`
 * or `email.bounced` on that email's contact (a bounce also suppresses the address). Recording
 * goes through `recordEvent`, so waits resume and journeys start as for any event; the
 * mail's Message-ID makes a repeated delivery record nothing new. Mail that matches nothing is
 * counted and logged, never an error. Throws `ValidationError` for malformed MIME.
 *
 * @example
 * await receiveMail(runtime, raw, { via: 'webhook' }) // { outcome: 'replied', messageId, eventId }
 */
export async function receiveMail(runtime: Runtime, raw: Buffer, source: InboundSource): Promise<InboundResult> {
  const log = runtime.logger.child({ part: 'inbound', via: source.via });
  const stats = inboundStats(runtime);
  let mail: InboundMail;
  try {
    mail = await parseInbound(raw);
  } catch (error) {
    if (error instanceof ValidationError) {
      log.warn({ rejected: stats.add('rejected') }, `inbound mail rejected: ${error.message}`);
    }
    throw error;
  }
  // Its records are taken in under one of the process's ingest slots (`Runtime.ingestSlots`).
  const result = await runtime.ingestSlots(() => take(runtime, mail, raw, source));
  const count = stats.add(result.outcome);
  const about = { from: mail.from, mailMessageId: mail.messageId, recipients: source.recipients ?? mail.recipients };
  if (result.outcome === 'unmatched' || result.outcome === 'ignored') {
    log.warn({ ...about, [result.outcome]: count }, `inbound mail ${result.outcome}: ${result.reason}`);
  } else {
    log.debug({ ...about, ...result }, `inbound mail: ${result.outcome}`);
  }
  return result;
}

async function take(runtime: Runtime, mail: InboundMail, raw: Buffer, source: InboundSource): Promise<InboundResult> {
  const { db, keys, config } = runtime;
  const domain = config.inboundEmailDomain;
  const recipients = source.recipients ?? mail.recipients;
  const ours = domain
    ? recipients.map((r) => inboundAddress(r, domain, keys)).filter((a): a is InboundAddress => a !== null)
    : [];
  if (domain && !ours.length)
    return { outcome: 'unmatched', reason: `no recipient is a reply+…@${domain} or bounce address` };
  const kind = classify(mail);
  if (kind.kind === 'ignored') return { outcome: 'ignored', reason: kind.why };
  if (kind.kind !== 'bounce' && ours.length && ours.every((a) => a.kind === 'bounce'))
    return { outcome: 'ignored', reason: 'mail to the bounce address that is not a delivery report (RFC 3464)' };
  const message = await matchMessage(db, keys, domain, mail, recipients);
  if (!message)
    return { outcome: 'unmatched', reason: 'no email of ours matches its address token, In-Reply-To or References' };
  if (kind.kind !== 'bounce' && !message.toContact)
    return { outcome: 'unmatched', reason: `email ${message.id} did not go to a contact's address` };
  const key = `inbound:${createHash('sha256')
    .update(mail.messageId ?? raw)
    .digest('base64url')}:${kind.kind}`;
  const tally = newTally();
  const result = await db.transaction().execute(async (trx): Promise<InboundResult> => {
    const record = async (name: string, properties: JsonObject) => {
      if (!message.toContact || !message.contactId) return null;
      const { event } = await recordEvent(
        trx,
        { contactId: message.contactId, name, properties, idempotencyKey: key },
        tally,
      );
      return event.id;
    };
    if (kind.kind === 'bounce') {
      const effective = await applyBounce(trx, message, kind.bounce, kind.status);
      // The third soft bounce in a row is recorded as the hard bounce it counts as.
      const properties = { messageId: message.id, nodeId: message.nodeId, kind: effective, status: kind.status };
      const eventId = await record('email.bounced', properties);
      return { outcome: 'bounced', messageId: message.id, eventId };
    }
    const text = stripQuoted(mail.text);
    const properties = { messageId: message.id, nodeId: message.nodeId, subject: mail.subject, text };
    const eventId = await record(EVENT_NAMES[kind.kind], properties);
    return { outcome: kind.kind === 'reply' ? 'replied' : 'auto-replied', messageId: message.id, eventId };
  });
  countTriggerSteps(runtime.metrics, tally);
  return result;
}
