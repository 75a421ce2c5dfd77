import { smtpFailure } from '@waymark/nodes-email/smtp-failure';
import {
  isRetryable,
  NodeError,
  type PreparedMessage,
  RetryableError,
  recipientRefusalOf,
  type SendRequest,
  type SendResult,
  type SuppressionReason,
  WaymarkError,
} from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { lockContact } from '../../contacts/lock.js';
import type { Database } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { endedRunsAmong } from '../../runs/end-runs.js';
import { dkimFor } from '../../sending/dkim.js';
import { type SendingCredential, sendThroughCredential } from '../../sending/senders.js';
import { type StepScope, shared } from '../../services/step-scope.js';
import { messageIdHeader } from '../compose/addresses.js';
import { applyRecipientRefusal, REFUSAL_REASONS } from './recipient-refusal.js';
import { type StoredMessage, storedAnswer } from './send-prepare.js';
import { sendSecrets } from './send-secrets.js';

/** What the step is answered: the send's result, or the error to throw once the message row is written. */
export type Settled = { result: SendResult } | { error: unknown };

/** What a hand-over leaves on its message row. */
export type DeliveryMark =
  | { kind: 'sent'; providerId: string | null }
  | { kind: 'failed'; error: string }
  /**
   * A failure its step retries (NODES.md: `provider.unavailable`, `smtp.unavailable`): queued,
   * with the refusal, until the next attempt sends it or the step gives up (the step writer
   * fails it then, migrations/0074).
   */
  | { kind: 'retrying'; error: string }
  /** A provider's 429: queued again, held for the rate until `until`. */
  | { kind: 'held'; until: Date; error: string }
  /** The provider refused the recipient (`recipientRefused`): suppressed, its answer kept. */
  | { kind: 'suppressed'; reason: SuppressionReason; error: string };

/** A hand-over's outcome: the row's mark and the step's answer. */
export interface Delivery {
  mark: DeliveryMark;
  answer: Settled;
}

export function outcomeOf(answer: Settled): SendResult {
  if ('error' in answer) throw answer.error;
  return answer.result;
}

/**
 * Hands a message to its credential's sender, the request's `deliver`, else `SMTP_URL`
 * (email from a domain with a DKIM key signed: API.md "DKIM"), and tells what became of it,
 * writing nothing: the caller writes the mark with the message row, or onto it.
 */
export async function handOver(
  scope: StepScope,
  request: SendRequest,
  message: PreparedMessage,
  id: string,
  credential: SendingCredential | null,
): Promise<Delivery> {
  const { config, keys, metrics } = scope.runtime;
  try {
    // The workspace's keys are read (and decrypted) once per batch and sender.
    const dkim =
      request.channel === 'email'
        ? await shared(scope, `dkim:${scope.workspaceId}:${message.from}`, () =>
            dkimFor(scope.db, scope.workspaceId, keys.credentials, message.from),
          )
        : undefined;
    const ready: PreparedMessage = dkim ? Object.assign({}, message, { dkim }) : message;
    let delivered: { providerId?: string } | undefined;
    if (credential) delivered = await sendThroughCredential(scope, credential, ready);
    else if (request.deliver) delivered = await request.deliver(ready);
    else if (request.channel === 'email') {
      delivered = await scope.runtime.smtp.deliver(ready, messageIdHeader(id, config.publicUrl));
    } else throw new NodeError(`channel ${request.channel} needs a deliver function`);
    metrics.messages.inc({ channel: request.channel, outcome: 'sent' });
    return {
      mark: { kind: 'sent', providerId: delivered?.providerId ?? null },
      answer: { result: { messageId: id, status: 'sent' } },
    };
  } catch (error) {
    // The row keeps the refusal without the sender's login; the step hides it wherever it shows.
    const text = sendSecrets(scope, request, credential).text(error instanceof Error ? error.message : String(error));
    // A provider's 429 (API.md "Sending credentials") fails nothing and spends no attempt: the
    // step waits out the provider's `Retry-After` before sending again.
    if (error instanceof RetryableError && error.stepCode === 'provider.rate-limited') {
      const until = new Date(Date.now() + (error.retryAfterMs ?? 1000));
      return {
        mark: { kind: 'held', until, error: text },
        answer: { result: { messageId: id, status: 'delayed', reason: 'send-rate', until } },
      };
    }
    // A refusal of the recipient is no failure: the message is suppressed, as the rules would
    // have suppressed it had Waymark known (NODES.md: `suppressed` when it may not be sent).
    const refusal = recipientRefusalOf(error);
    if (refusal) {
      await applyRecipientRefusal(scope, request, message.to, refusal);
      metrics.messages.inc({ channel: request.channel, outcome: 'suppressed' });
      const reason = REFUSAL_REASONS[refusal];
      return {
        mark: { kind: 'suppressed', reason, error: text },
        answer: { result: { messageId: id, status: 'suppressed', reason } },
      };
    }
    metrics.messages.inc({ channel: request.channel, outcome: 'failed' });
    const failure = failureOf(request, error, text);
    return { mark: { kind: isRetryable(failure) ? 'retrying' : 'failed', error: text }, answer: { error: failure } };
  }
}

/** The step error a failed hand-over becomes. */
function failureOf(request: SendRequest, error: unknown, text: string): Error {
  if (error instanceof WaymarkError) return error;
  // SMTP (`SMTP_URL`) fails with the codes an email.smtp credential's delivery has.
  if (request.channel === 'email') return smtpFailure(error);
  // A transport hiccup (gateway timeout) is worth another attempt.
  return new RetryableError(`delivery failed: ${text}`, { cause: error });
}

/**
 * The columns a mark sets on a message row written with it. Only a provider's refusal of the
 * recipient is `suppressed`, with its reason; no mark is `delayed`, the other status with a
 * `reason` (API.md "Messages"): the others clear the reason a decision left (a message delayed
 * by quiet hours, then failed). A held message keeps its place
 * in its credential's rate order from now (counted in its backlog, no longer as handed over).
 */
export function markColumns(mark: DeliveryMark, now: Date) {
  switch (mark.kind) {
    case 'sent':
      // A message sent at last (a failed run's step retried, POST /api/runs/:id/retry) drops the
      // refusal its failed attempts left: a sent message has no error.
      return { status: 'sent' as const, reason: null, error: null, sent_at: now, provider_id: mark.providerId };
    case 'failed':
      return { status: 'failed' as const, reason: null, error: mark.error };
    case 'suppressed':
      return { status: 'suppressed' as const, reason: mark.reason, error: mark.error };
    case 'retrying':
      return { status: 'queued' as const, reason: null, delayed_until: null, error: mark.error };
    case 'held':
      return {
        status: 'queued' as const,
        reason: null,
        delayed_until: mark.until,
        error: mark.error,
        rate_slot_at: now,
      };
  }
}

/** A hand-over counted by its rates until its request was answered: now, if it was under one. */
const reachedBy = sql<Date | null>`case when rate_reach_by is not null then clock_timestamp() end`;

/** A message's rates count it until now (its turn was taken, and it was answered or not sent). */
async function markReached(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('messages').set({ rate_reach_by: reachedBy }).where('id', '=', id).execute();
}

/**
 * Writes a mark onto a stored message row (a held one keeps the rate slot it had). A message
 * handed over under a rate is counted by its rates until now, when its request was answered:
 * it reached its server by then (a provider's 429 too, though the message is held again).
 */
export async function markMessage(db: Kysely<Database>, id: string, mark: DeliveryMark, now: Date): Promise<void> {
  if (mark.kind !== 'held') {
    await db
      .updateTable('messages')
      .set({ ...markColumns(mark, now), rate_reach_by: reachedBy })
      .where('id', '=', id)
      .execute();
    return;
  }
  await sql`
    update messages set status = 'queued', reason = null, delayed_until = ${mark.until}, error = ${mark.error},
      rate_slot_at = coalesce(rate_slot_at, clock_timestamp()), rate_sent_at = null, journey_sent_at = null,
      rate_reach_by = ${reachedBy}
    where id = ${id}`.execute(db);
}

/** Hands over a stored message and writes what became of it. */
export async function deliver(
  scope: StepScope,
  request: SendRequest,
  message: PreparedMessage,
  id: string,
  now: Date,
  credential: SendingCredential | null,
): Promise<Settled> {
  const { mark, answer } = await handOver(scope, request, message, id, credential);
  await markMessage(scope.db, id, mark, now);
  return answer;
}

/** What a send of a run that has ended throws: its step was cancelled, so the error goes nowhere. */
export const runEnded = (): NodeError => new NodeError('its run ended: nothing is sent for it');

/**
 * Delivers under the contact's lock (when it has one) and its run's, and only while the
 * message is still stored and its run live: an erase since the decision deleted the message,
 * an end of the run released it, and nothing goes out. Either one that starts meanwhile waits
 * until the delivery is over, so nothing goes out after it answered.
 */
export async function deliverLocked(
  scope: StepScope,
  contactId: string | null,
  request: SendRequest,
  message: PreparedMessage,
  id: string,
  now: Date,
  credential: SendingCredential | null,
): Promise<SendResult> {
  const answer = await inTransaction(scope.db, async (trx) => {
    if (contactId) await lockContact(trx, contactId);
    const stored = (await trx
      .selectFrom('messages')
      .select(['id', 'idempotency_key', 'status', 'reason', 'delayed_until'])
      .where('id', '=', id)
      .executeTakeFirst()) as StoredMessage | undefined;
    if (!stored) throw new NodeError(contactId ? 'the contact was erased' : 'the message was erased');
    // Two attempts of one step at once (a held message's step woken by its new place and by the
    // job of its old one: sending/rate-change.ts) both pass its claimed turn: the one that waited
    // for the contact's lock finds the message handed over already, and sends it no second time.
    const already = storedAnswer(stored, now);
    if (already && stored.status !== 'delayed') {
      // Its turn, taken again for nothing, counts no longer than now.
      await markReached(trx, id);
      return { result: already };
    }
    if ((await endedRunsAmong(trx, [scope.runId])).size > 0) throw runEnded();
    return deliver({ ...scope, db: trx }, request, message, id, now, credential);
  });
  return outcomeOf(answer);
}
