import { NodeError, type SendResult } from '@waymark/sdk';
import { existingContacts, lockContacts } from '../../contacts/lock.js';
import { inTransaction } from '../../db/transaction.js';
import { holdoutsAmong } from '../../experiments/holdout.js';
import { endedRunsAmong } from '../../runs/end-runs.js';
import { bouncedAmong, capSince, type Decision, judge, recentMarketingCounts } from '../rules/decide.js';
import { type Delivery, handOver, markColumns, outcomeOf, runEnded } from './deliver.js';
import { insertGroupRows } from './insert-group.js';
import { decisionAnswer, messageRow, type PreparedSend } from './send-prepare.js';

/** What a row carries when no hand-over marked it. */
const UNMARKED = { sent_at: null, provider_id: null, rate_slot_at: null };

/**
 * First attempts to contacts under no rate, decided and delivered in ONE transaction under
 * all their contacts' locks: the rules' reads are one statement each for the whole group,
 * the hand-overs run side by side, and every row is written once, with what became of it.
 * Two messages of the group to one contact count against its cap one after the other.
 * Answers in the group's order; a hand-over's failure is that message's alone.
 */
export async function sendTogether(group: readonly PreparedSend[]): Promise<Array<SendResult | Error>> {
  const first = group[0];
  if (!first) return [];
  const { db, workspaceId } = first.item.scope;
  const contactIds = group.map((send) => (send.contact as { id: string }).id);
  const keys = group.map((send) => send.item.scope.idempotencyKey);
  return inTransaction(db, async (trx) => {
    await lockContacts(trx, contactIds);
    // An erase that took a lock first leaves nothing to send to, and nothing may be stored.
    const alive = await existingContacts(trx, workspaceId, contactIds);
    // Locked until the hand-overs are done: a run that ends meanwhile waits for them.
    const ended = await endedRunsAmong(
      trx,
      group.map((send) => send.item.scope.runId),
    );
    const holdouts = await holdoutsAmong(trx, keys);
    const emails = group.filter((send) => send.request.channel === 'email').map((send) => send.to);
    const bounced = await bouncedAmong(trx, workspaceId, emails);
    // The group's messages share their workspace's rules and the batch's clock: the cap counts
    // are read once, from the earliest start of their periods.
    const starts = group.flatMap((send) => capSince(send)?.getTime() ?? []);
    const since = starts.length > 0 ? new Date(Math.min(...starts)) : null;
    const recent = since ? await recentMarketingCounts(trx, contactIds, since, null) : new Map<string, number>();

    const decided = group.map((send, i): Decision | Error => {
      const contactId = contactIds[i] as string;
      if (!alive.has(contactId)) return new NodeError('the contact was erased');
      if (ended.has(send.item.scope.runId)) return runEnded();
      const decision = judge(
        {
          workspaceId,
          request: send.request,
          to: send.to,
          contact: send.contact,
          rules: send.rules,
          now: send.now,
          messageId: null,
          holdout: holdouts.has(keys[i] as string),
        },
        { bounced: bounced.has(send.to.toLowerCase()), recentMarketing: recent.get(contactId) ?? 0 },
      );
      if (decision.status === 'queued' && send.request.category === 'marketing')
        recent.set(contactId, (recent.get(contactId) ?? 0) + 1);
      return decision;
    });
    const deliveries = await Promise.all(
      group.map(async (send, i): Promise<Delivery | null> => {
        const decision = decided[i] as Decision | Error;
        if (decision instanceof Error || decision.status !== 'queued') return null;
        const { scope } = send.item;
        return handOver({ ...scope, db: trx }, send.request, send.message, send.id, await send.credential());
      }),
    );
    const rows = group.flatMap((send, i) => {
      const decision = decided[i] as Decision | Error;
      if (decision instanceof Error) return [];
      const mark = deliveries[i]?.mark;
      // Assigned onto the fresh row: `{ ...row, ...UNMARKED }` adds keys after a spread, 5.5 µs a
      // row on Node 20 against 0.08 (engine/README.md "Hot paths").
      return [Object.assign(messageRow(send, decision), UNMARKED, mark ? markColumns(mark, send.now) : undefined)];
    });
    // Handed over already: a row another attempt of a step stored meanwhile must not undo the
    // group (its messages would all go again); that step's row stays as it was.
    await insertGroupRows(trx, rows);
    return group.map((send, i) => {
      const decision = decided[i] as Decision | Error;
      const delivery = deliveries[i];
      if (decision instanceof Error) return decision;
      if (delivery) return settle(() => outcomeOf(delivery.answer));
      return decision.status === 'queued'
        ? new Error('a queued message was not handed over')
        : decisionAnswer(send, decision);
    });
  });
}

function settle(answer: () => SendResult): SendResult | Error {
  try {
    return answer();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
