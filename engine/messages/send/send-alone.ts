import { NodeError, type SendResult } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { SendingContact } from '../../contacts/load.js';
import { existingContacts, lockContact } from '../../contacts/lock.js';
import type { Database } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { holdoutsAmong } from '../../experiments/holdout.js';
import { endedRunsAmong } from '../../runs/end-runs.js';
import { takeRateSlotsSoon } from '../../sending/send-rate.js';
import type { SendingCredential } from '../../sending/senders.js';
import { decide } from '../rules/decide.js';
import { deliver, deliverLocked, markMessage, outcomeOf, runEnded } from './deliver.js';
import {
  credentialOf,
  decisionAnswer,
  heldForRate,
  messageRow,
  type PreparedSend,
  prepareSend,
  rateLimitsOf,
  type SendItem,
  type StoredMessage,
} from './send-prepare.js';
import type { Turn } from './turns.js';

/**
 * A message that cannot go with its batch: stored before (decided again, or waiting for its
 * place under a rate), under a rate, or to no contact. Decided under the contact's lock and
 * stored; delivered in the same transaction when no rate applies, else once the rates let it.
 */
export async function sendAlone(
  item: SendItem,
  found: StoredMessage | undefined,
  contact: SendingContact | null,
  prepared?: PreparedSend,
  turn?: Turn,
): Promise<SendResult> {
  const { scope } = item;
  const { db } = scope;
  const credential = await credentialFor(db, item, found);
  const held = heldForRate(found);
  // A message held for a rate asks the rates first, before deciding it again: a wake-up
  // beaten to its place costs one short transaction, and one that may go is handed over as
  // close to its time as it can be (late hand-overs would push back every later one).
  if (held && found) {
    const asked = { item, request: item.asked, credential: credentialOf(item) };
    const heldUnder = await rateLimitsOf(asked);
    // Held messages whose places come together (a window's `count` share one) ask in turn.
    await turn?.wait();
    const gate = await takeRateSlotsSoon(db, heldUnder, found.id, () => turn?.release());
    if (!gate.go) return holdForRate(db, found.id, gate.until);
  }
  const send = prepared ?? (await prepareSend(item, found, contact));
  const { request, message, id, now } = send;
  const limits = held || !contact ? null : await rateLimitsOf(send);
  const atOnce = limits !== null && limits.length === 0;
  // A message that will ask for a place is stored and placed in its turn; the others need none.
  if (limits?.length) await turn?.wait();
  else turn?.release();

  const { decision, delivery } = await inTransaction(db, async (trx) => {
    if (contact) {
      await lockContact(trx, contact.id);
      // An erase that took the lock first leaves nothing to send to, and nothing may be stored.
      if (!(await existingContacts(trx, scope.workspaceId, [contact.id])).has(contact.id))
        throw new NodeError('the contact was erased');
    }
    // A run that ended as this step woke (at the end of quiet hours, for its turn under a rate)
    // released the message, which must not go; one that ends now waits for this transaction.
    if ((await endedRunsAmong(trx, [scope.runId])).size > 0) throw runEnded();
    const decided = await decide(trx, {
      workspaceId: scope.workspaceId,
      request,
      to: send.to,
      contact,
      rules: send.rules,
      now,
      messageId: found?.id ?? null,
      holdout: (await holdoutsAmong(trx, [scope.idempotencyKey])).has(scope.idempotencyKey),
    });
    const row = messageRow(send, decided);
    await trx
      .insertInto('messages')
      .values({ ...row, headers: JSON.stringify(row.headers), links: JSON.stringify(row.links) })
      .onConflict((oc) =>
        oc.column('idempotency_key').doUpdateSet({
          status: row.status,
          reason: row.reason,
          delayed_until: row.delayed_until,
          error: null,
          // A message decided again (after quiet hours, a rate, a provider's 429) keeps the time
          // it was created: the log's order and its cursors stay, and a backlog's oldest waits
          // from then. The frequency cap counts a sent message from when it was sent.
        }),
      )
      .execute();
    if (!atOnce || decided.status !== 'queued') return { decision: decided, delivery: null };
    return {
      decision: decided,
      delivery: await deliver({ ...scope, db: trx }, request, message, id, now, credential),
    };
  });
  if (delivery) return outcomeOf(delivery);
  if (decision.status !== 'queued') {
    turn?.release();
    return decisionAnswer(send, decision);
  }
  // Beyond its journey's send rate or its credential's, the message is held, queued, and the step waits.
  const gate = held
    ? { go: true as const }
    : await takeRateSlotsSoon(db, limits ?? (await rateLimitsOf(send)), id, () => turn?.release());
  if (!gate.go) {
    // A decision like quiet hours' (API.md "Metrics"): it counts again when finally sent.
    scope.runtime.metrics.messages.inc({ channel: request.channel, outcome: 'delayed' });
    return holdForRate(db, id, gate.until);
  }
  return deliverLocked(scope, contact?.id ?? null, request, message, id, now, credential);
}

/**
 * The send's credential. One the step may not use refuses the send before its message is
 * stored; a message stored before (held for a rate, delayed by quiet hours) fails with the
 * refusal rather than staying queued for ever.
 */
async function credentialFor(
  db: Kysely<Database>,
  item: SendItem,
  found: StoredMessage | undefined,
): Promise<SendingCredential | null> {
  try {
    return await (credentialOf(item)() ?? null);
  } catch (error) {
    if (found)
      await markMessage(
        db,
        found.id,
        { kind: 'failed', error: error instanceof Error ? error.message : String(error) },
        new Date(),
      );
    throw error;
  }
}

/** A message held for a rate: queued, the step told when to ask again (one its run's end released stays so). */
async function holdForRate(db: Kysely<Database>, id: string, until: Date): Promise<SendResult> {
  await db
    .updateTable('messages')
    .set({ delayed_until: until })
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .execute();
  return { messageId: id, status: 'delayed', reason: 'send-rate', until };
}
