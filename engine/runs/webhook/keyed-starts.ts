import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, type JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { type ContactIdentity, normalizeIdentity } from '../../contacts/identity/bind.js';
import type { Database } from '../../db/database.js';
import type { Dispatch } from '../dispatch.js';
import type { WebhookAnswer } from './intake.js';
import { startOne } from './start-one.js';
import { StaleWebhookTargetError, type WebhookTarget } from './webhook.js';

// A repeat of a key whose first call is in progress in another process waits for its row
// lock this long with a connection, then gives the connection back and tries again after a
// pause (20 ms, doubling up to 250 ms) for up to KEY_WAIT_MS in all, then gets 409. Holding a
// pooled connection for the whole wait (3 s) left none for other calls: they got 503.
const KEY_LOCK_TIMEOUT = '20ms';
const KEY_WAIT_MS = 2_000;
const IN_PROGRESS = 'a call with this Idempotency-Key is in progress; retry';

/**
 * What `attempt` (a transaction that claims idempotency keys, `lockBriefly`) comes to, tried
 * again while a key it claims is locked by a call in progress elsewhere; 409 `conflict` when
 * that call is still in progress after KEY_WAIT_MS.
 */
async function whileKeysLocked<T>(attempt: () => Promise<T>): Promise<T> {
  const until = Date.now() + KEY_WAIT_MS;
  for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
    try {
      return await attempt();
    } catch (error) {
      if ((error as { code?: string }).code !== '55P03') throw error;
      if (Date.now() + pause > until) throw new ConflictError(IN_PROGRESS, { cause: error });
    }
    await sleep(pause);
  }
}

/** Makes a key's row lock held by another transaction fail this one at once (55P03) rather than wait with its connection. */
async function lockBriefly(trx: Kysely<Database>): Promise<void> {
  await sql`set local lock_timeout = ${sql.lit(KEY_LOCK_TIMEOUT)}`.execute(trx);
}

/** Ends `lockBriefly` once the keys are claimed: the call's own writes (its contact, its run) wait for their locks as any call's do. */
async function lockAsUsual(trx: Kysely<Database>): Promise<void> {
  await sql`set local lock_timeout to default`.execute(trx);
}

/**
 * Claims `idempotencyKey` for a call in `trx`: null when it is this call's to answer, else the
 * first answer given under it within 24 hours (a replay). Throws 55P03 while the key is
 * locked, 409 when its first call never finished.
 */
async function claimKey(
  trx: Kysely<Database>,
  target: WebhookTarget,
  idempotencyKey: string,
): Promise<WebhookAnswer | null> {
  const claimed = await sql<{ key: string }>`
      insert into webhook_keys (journey_id, node_id, key) values (${target.journeyId}, ${target.node.id}, ${idempotencyKey})
      on conflict (journey_id, node_id, key) do update set created_at = now(), status_code = null, response = null
        where webhook_keys.created_at < now() - interval '24 hours'
      returning key
    `.execute(trx);
  if (claimed.rows.length) return null;
  const first = await trx
    .selectFrom('webhook_keys')
    .select(['status_code', 'response'])
    .where('journey_id', '=', target.journeyId)
    .where('node_id', '=', target.node.id)
    .where('key', '=', idempotencyKey)
    .executeTakeFirst();
  if (!first?.status_code) throw new ConflictError(IN_PROGRESS);
  return answerOf(first);
}

/**
 * Keeps the answer a claimed key's call was given: a repeat within 24 hours gets it again. The
 * contact the call named is kept with it, so its erase takes the key (it may hold the address)
 * also when the call started no run.
 */
async function keepAnswer(
  trx: Kysely<Database>,
  target: WebhookTarget,
  idempotencyKey: string,
  answer: WebhookAnswer,
  contactId: string | null,
): Promise<void> {
  await trx
    .updateTable('webhook_keys')
    .set({ status_code: answer.statusCode, response: JSON.stringify(answer.body), contact_id: contactId })
    .where('journey_id', '=', target.journeyId)
    .where('node_id', '=', target.node.id)
    .where('key', '=', idempotencyKey)
    .execute();
}

/** A stored first answer, given again. */
export function answerOf(first: { status_code: number | null; response: unknown }): WebhookAnswer {
  return { statusCode: first.status_code as 200 | 202, body: first.response as WebhookAnswer['body'], replayed: true };
}

/** One run a call asks for: its payload, the contact it names and its idempotency key. */
export interface KeyedStart {
  payload: JsonObject;
  identity: ContactIdentity | null;
  idempotencyKey: string | null;
}

/** The runs of a call's starts, committed, and their first jobs to queue. */
export interface StartedGroup {
  /** One per start, in its order: its run, or the first answer its idempotency key was given. */
  answers: WebhookAnswer[];
  dispatch: Dispatch[];
}

/**
 * Starts the runs one call asks for (a keyed core.webhook call: one; a package's webhook
 * trigger: any number) in ONE transaction: all of
 * them, or none when one fails (a contact that cannot be bound, the journey found changed:
 * StaleWebhookTargetError, a key another call holds: 409 after a wait). Each start is as a
 * `core.webhook` call's (`startOne`: its contact bound, re-entry, the entry cap); a start whose
 * idempotency key was answered within 24 hours (or by an earlier start of the same call) gets
 * that answer and starts nothing. Keys are claimed in their order first, so two calls naming
 * the same keys wait for each other rather than lock each other out.
 */
export async function startGroup(
  db: Kysely<Database>,
  target: WebhookTarget,
  starts: readonly KeyedStart[],
): Promise<StartedGroup> {
  // A malformed identity is refused (400) before anything is written.
  for (const start of starts) if (start.identity) normalizeIdentity(start.identity);
  const keys = [...new Set(starts.flatMap((s) => (s.idempotencyKey === null ? [] : [s.idempotencyKey])))].sort();
  return whileKeysLocked(() =>
    db.transaction().execute(async (trx) => {
      const answered = new Map<string, WebhookAnswer>();
      if (keys.length) {
        await lockBriefly(trx);
        for (const key of keys) {
          const first = await claimKey(trx, target, key);
          if (first) answered.set(key, first);
        }
        await lockAsUsual(trx);
      }
      const group: StartedGroup = { answers: [], dispatch: [] };
      for (const start of starts) {
        const key = start.idempotencyKey;
        const first = key === null ? undefined : answered.get(key);
        if (first) {
          group.answers.push(first);
          continue;
        }
        const { outcome, dispatch, contactId } = await startOne(trx, target, start.identity, start.payload);
        if (!('answer' in outcome)) throw new StaleWebhookTargetError();
        group.answers.push(outcome.answer);
        group.dispatch.push(dispatch);
        if (key === null) continue;
        await keepAnswer(trx, target, key, outcome.answer, contactId ?? null);
        answered.set(key, { ...outcome.answer, replayed: true });
      }
      return group;
    }),
  );
}
