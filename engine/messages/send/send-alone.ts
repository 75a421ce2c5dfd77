import { setTimeout as sleep } from 'node:timers/promises';
import { NodeError, type PreparedMessage, type SendRequest, type SendResult } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { SendingContact } from '../../contacts/load.js';
import { existingContacts, lockContact } from '../../contacts/lock.js';
import type { Database } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { holdoutsAmong } from '../../experiments/holdout.js';
import { endedRunsAmong } from '../../runs/end-runs.js';
import { type RateLimit, takeTurn, WAIT_IN_PLACE_MS, waitForTurn } from '../../sending/send-rate.js';
import type { SendingCredential } from '../../sending/senders.js';
import type { StepScope } from '../../services/step-scope.js';
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
  let heldUnder: RateLimit[] | null = null;
  // A message held for a rate asks the rates first, before deciding it again: a wake-up
  // beaten to its place costs one short transaction, and one that may go is handed over as
  // close to its time as it can be (late hand-overs would push back every later one).
  if (held && found) {
    const asked = { item, request: item.asked, credential: credentialOf(item) };
    heldUnder = await rateLimitsOf(asked);
    // Held messages whose places come together (a window's `count` share one) ask in turn.
    await turn?.wait();
    const gate = await waitForTurn(db, heldUnder, found.id, () => turn?.release());
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
        oc
          .column('idempotency_key')
          .doUpdateSet({
            status: row.status,
            reason: row.reason,
            delayed_until: row.delayed_until,
            error: null,
            // A message decided again (after quiet hours, a rate, a provider's 429) keeps the time
            // it was created: the log's order and its cursors stay, and a backlog's oldest waits
            // from then. The frequency cap counts a sent message from when it was sent.
          })
          // One another attempt of the step handed over meanwhile stays as it is (deliverLocked).
          // A failed one is decided again: a failed run's step retried (POST /api/runs/:id/retry)
          // sends it, or the message log says why not (its contact unsubscribed meanwhile).
          .where('messages.status', 'in', ['queued', 'delayed', 'failed']),
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
  const under = heldUnder ?? limits ?? (await rateLimitsOf(send));
  const gate = held ? { go: true as const } : await waitForTurn(db, under, id, () => turn?.release());
  const sent = gate.go
    ? await deliverInTurn(scope, under, { contactId: contact?.id ?? null, request, message, id, now, credential })
    : gate;
  if ('messageId' in sent) return sent;
  // A decision like quiet hours' (API.md "Metrics"): it counts again when finally sent.
  if (!held) scope.runtime.metrics.messages.inc({ channel: request.channel, outcome: 'delayed' });
  return holdForRate(db, id, sent.until);
}

/** What a delivery needs (deliverLocked's arguments). */
interface Handing {
  contactId: string | null;
  request: SendRequest;
  message: PreparedMessage;
  id: string;
  now: Date;
  credential: SendingCredential | null;
}

/**
 * Takes the message's turn under its rates and delivers it at once, on one connection: its
 * hand-over, which its rates count until the request is answered, is recorded with no wait for
 * a connection, no decision and no rendering before the request (each was a part of the time a
 * rate's next window waited for). A turn taken meanwhile by a message placed before it is
 * waited for in the worker when it is a moment away; else the message is held until it comes.
 */
async function deliverInTurn(
  scope: StepScope,
  limits: readonly RateLimit[],
  handing: Handing,
): Promise<SendResult | { go: false; until: Date }> {
  const { contactId, request, message, id, now, credential } = handing;
  if (limits.length === 0) return deliverLocked(scope, contactId, request, message, id, now, credential);
  const inTurn = async (db: Kysely<Database>) => {
    const gate = await takeTurn(db, limits, id);
    return gate.go ? deliverLocked({ ...scope, db }, contactId, request, message, id, now, credential) : gate;
  };
  for (let ask = 1; ; ask++) {
    // A caller's transaction is the one connection already (and its rate locks are held until it commits).
    const sent = scope.db.isTransaction ? await inTurn(scope.db) : await scope.db.connection().execute(inTurn);
    if ('messageId' in sent) return sent;
    const wait = sent.until.getTime() - Date.now();
    if (wait > WAIT_IN_PLACE_MS || ask >= 4) return sent;
    await sleep(Math.max(0, wait));
  }
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
