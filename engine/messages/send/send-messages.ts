import type { SendResult } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import { loadSendingContacts } from '../../contacts/load.js';
import type { Database } from '../../db/database.js';
import { sendAlone } from './send-alone.js';
import {
  type PreparedSend,
  prepareSend,
  rateLimitsOf,
  type SendItem,
  type StoredMessage,
  storedAnswer,
} from './send-prepare.js';
import { sendTogether } from './send-together.js';
import { Turns } from './turns.js';

export type { SendItem } from './send-prepare.js';

/**
 * `ctx.messages.send` for the steps of one batch that asked in the same turn (one step alone
 * outside batches): the gate every channel sends through. Idempotent per step: the message row
 * is keyed by the step's idempotency key and looked up (for all of them in one statement)
 * before anything is sent. First attempts to contacts under no rate go together (`sendTogether`);
 * the others alone (`sendAlone`). Answers in the items' order, an Error for a step that fails.
 */
export async function sendMessages(items: readonly SendItem[]): Promise<Array<SendResult | Error>> {
  const first = items[0];
  if (!first) return [];
  // A batch may hold steps of several workspaces (a job takes the steps of one node id): each
  // workspace's sends are read and decided apart, with its own contacts, rules and suppressions.
  if (items.some((item) => item.scope.workspaceId !== first.scope.workspaceId)) return byWorkspace(items);
  const { db, workspaceId } = first.scope;
  const stored = await storedMessages(
    db,
    items.map((i) => i.scope.idempotencyKey),
  );
  const contacts = await loadSendingContacts(
    db,
    workspaceId,
    items.flatMap((i) => (i.scope.contactId ? [i.scope.contactId] : [])),
  );
  const together: Array<{ at: number; send: PreparedSend }> = [];
  // Places under a send rate are reserved in the items' order (their steps', their runs').
  const turns = new Turns(items.length);
  const answers = await Promise.all(
    items.map(async (item, at): Promise<SendResult | Error | null> => {
      const turn = turns.of(at);
      try {
        const found = stored.get(item.scope.idempotencyKey);
        const answer = storedAnswer(found, item.scope.now());
        if (answer) return answer;
        const contact = item.scope.contactId ? (contacts.get(item.scope.contactId) ?? null) : null;
        if (found || !contact) return await sendAlone(item, found, contact, undefined, turn);
        const send = await prepareSend(item, found, contact);
        if ((await rateLimitsOf(send)).length > 0) return await sendAlone(item, found, contact, send, turn);
        together.push({ at, send });
        return null;
      } catch (error) {
        return asError(error);
      } finally {
        turn.release();
      }
    }),
  );
  const sent = await sendTogether(together.map((t) => t.send)).catch((error: unknown) =>
    together.map(() => asError(error)),
  );
  together.forEach(({ at }, i) => {
    answers[at] = sent[i] ?? new Error('no answer');
  });
  return answers.map((answer) => answer ?? new Error('no answer'));
}

/** `sendMessages` of items of several workspaces: each workspace's together, answered in the items' order. */
async function byWorkspace(items: readonly SendItem[]): Promise<Array<SendResult | Error>> {
  const answers: Array<SendResult | Error> = items.map(() => new Error('no answer'));
  const workspaces = [...new Set(items.map((item) => item.scope.workspaceId))];
  await Promise.all(
    workspaces.map(async (workspaceId) => {
      const at = items.flatMap((item, i) => (item.scope.workspaceId === workspaceId ? [i] : []));
      const sent = await sendMessages(at.map((i) => items[i] as SendItem));
      at.forEach((i, k) => {
        answers[i] = sent[k] ?? new Error('no answer');
      });
    }),
  );
  return answers;
}

/** One message sent on its own (a step outside batches). */
export async function sendOne(item: SendItem): Promise<SendResult> {
  const [answer] = await sendMessages([item]);
  if (answer instanceof Error || !answer) throw answer ?? new Error('no answer');
  return answer;
}

/** The message rows stored under the given idempotency keys. */
async function storedMessages(db: Kysely<Database>, keys: readonly string[]) {
  const rows = (await db
    .selectFrom('messages')
    .select(['id', 'idempotency_key', 'status', 'reason', 'delayed_until'])
    .where('idempotency_key', 'in', [...keys])
    .execute()) as StoredMessage[];
  return new Map(rows.map((row) => [row.idempotency_key, row]));
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
