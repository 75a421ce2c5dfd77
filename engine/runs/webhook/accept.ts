import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, type JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { bindContact, type ContactIdentity, normalizeIdentity } from '../../contacts/identity/bind.js';
import type { Database } from '../../db/database.js';
import type { Dispatch, JobDispatcher } from '../dispatch.js';
import { type CallResult, type InsertRunsResult, insertRuns } from '../entry/insert-runs.js';
import { triggerOutputOf } from '../versions.js';
import { answerFor, type CallOutcome, type WebhookAnswer, WebhookIntake } from './intake.js';
import { identityOf, StaleWebhookTargetError, type WebhookTarget } from './webhook.js';

// A repeat of a key whose first call is in progress in another process waits for its row
// lock this long with a connection, then gives the connection back and tries again after a
// pause (20 ms, doubling up to 250 ms) for up to KEY_WAIT_MS in all, then gets 409. Holding a
// pooled connection for the whole wait (3 s) left none for other calls: they got 503.
const KEY_LOCK_TIMEOUT = '20ms';
const KEY_WAIT_MS = 2_000;
const IN_PROGRESS = 'a call with this Idempotency-Key is in progress; retry';

const NOTHING: Dispatch = { stepIds: [], notices: [] };

/**
 * Starts the runs webhook calls ask for, with their contact binding and their
 * `Idempotency-Key` (a repeat within 24 h returns the first answer and starts nothing).
 * Calls without a key are accepted in groups (`WebhookIntake`); each answer comes once its
 * run is committed, and its first jobs follow through the dispatcher.
 *
 * @example
 * const accepter = new WebhookAccepter(db, runtime.intakeDb, dispatcherFor(db, logger));
 * const answer = await accepter.accept(target, payload, request.headers['idempotency-key'] ?? null);
 */
export class WebhookAccepter {
  readonly #intake: WebhookIntake;
  /** Keyed calls in progress in this process, by journey, node and key: what they came to. */
  readonly #keysInProgress = new Map<string, Promise<PromiseSettledResult<WebhookAnswer>>>();

  constructor(
    private readonly db: Kysely<Database>,
    /** Where groups of calls start (`Runtime.intakeDb`). */
    intakeDb: Kysely<Database>,
    private readonly dispatcher: JobDispatcher,
  ) {
    this.#intake = new WebhookIntake(intakeDb, dispatcher, async (target, raw, payload) => {
      const started = await startOne(db, target, raw, payload);
      this.dispatcher.add(started.dispatch);
      return started.outcome;
    });
  }

  /**
   * A call that writes to its contact (a `timezone`) on its own, in one transaction: a journey
   * found changed meanwhile leaves nothing of the call behind, not even the contact's write.
   */
  async #writing(target: WebhookTarget, raw: ContactIdentity, payload: JsonObject): Promise<WebhookAnswer> {
    const { answer, dispatch } = await this.db.transaction().execute(async (trx) => {
      const { outcome, dispatch } = await startOne(trx, target, raw, payload);
      if (!('answer' in outcome)) throw new StaleWebhookTargetError();
      return { answer: outcome.answer, dispatch };
    });
    this.dispatcher.add(dispatch);
    return answer;
  }

  /**
   * Throws ValidationError for a malformed identity, StaleWebhookTargetError when the journey
   * changed. The run's contact is the one `raw` names: by default the payload's identity fields
   * (a package trigger names its start's `contact`).
   */
  async accept(
    target: WebhookTarget,
    payload: JsonObject,
    idempotencyKey: string | null,
    raw: ContactIdentity | null = identityOf(payload),
  ): Promise<WebhookAnswer> {
    const identity = raw ? normalizeIdentity(raw) : null;
    if (idempotencyKey !== null) return this.#keyedHere(target, raw, payload, idempotencyKey);
    if (raw && identity?.timezone !== undefined) return this.#writing(target, raw, payload);
    return this.#intake.accept(target, identity, raw, payload);
  }

  /**
   * The answer a call with `idempotencyKey` was given within 24 hours, if any: a repeat gets it
   * again before anything else is asked of it (its body, the journey's rate limit). While that
   * call is in progress in this process, the repeat waits for it without a connection.
   */
  async replay(target: WebhookTarget, idempotencyKey: string): Promise<WebhookAnswer | null> {
    const here = this.#inProgressHere(target, idempotencyKey);
    if (here) return here;
    const first = await this.db
      .selectFrom('webhook_keys')
      .select(['status_code', 'response'])
      .where('journey_id', '=', target.journeyId)
      .where('node_id', '=', target.node.id)
      .where('key', '=', idempotencyKey)
      .where('status_code', 'is not', null)
      .where(sql<boolean>`created_at >= now() - interval '24 hours'`)
      .executeTakeFirst();
    return first ? answerOf(first) : null;
  }

  /** Resolves once every call accepted so far is answered and its jobs queued. */
  async drain(): Promise<void> {
    await this.#intake.drain();
    await this.dispatcher.drain();
  }

  /**
   * What the call with this key in progress in this process comes to, if there is one: its
   * answer (as a replay) or its error. Waiting for it holds no connection.
   */
  #inProgressHere(target: WebhookTarget, idempotencyKey: string): Promise<WebhookAnswer> | null {
    const first = this.#keysInProgress.get(keyId(target, idempotencyKey));
    return first
      ? first.then((settled) => {
          if (settled.status === 'rejected') throw settled.reason;
          return { ...settled.value, replayed: true };
        })
      : null;
  }

  /** A keyed call; a repeat of one in progress in this process gets what that one comes to. */
  async #keyedHere(
    target: WebhookTarget,
    raw: ContactIdentity | null,
    payload: JsonObject,
    idempotencyKey: string,
  ): Promise<WebhookAnswer> {
    const here = this.#inProgressHere(target, idempotencyKey);
    if (here) return here;
    const id = keyId(target, idempotencyKey);
    const call = this.#keyed(target, raw, payload, idempotencyKey).then(({ answer, dispatch }) => {
      this.dispatcher.add(dispatch);
      return answer;
    });
    const settled = call.then(
      (value) => ({ status: 'fulfilled', value }) as const,
      (reason: unknown) => ({ status: 'rejected', reason }) as const,
    );
    this.#keysInProgress.set(id, settled);
    // Registered before any repeat waits on it: a repeat that follows finds the key free.
    void settled.then(() => this.#keysInProgress.delete(id));
    return call;
  }

  /** A keyed call against other processes' calls with the same key: 409 if theirs stays in progress. */
  #keyed(
    target: WebhookTarget,
    raw: ContactIdentity | null,
    payload: JsonObject,
    idempotencyKey: string,
  ): Promise<{ answer: WebhookAnswer; dispatch: Dispatch }> {
    return whileKeysLocked(() =>
      this.db.transaction().execute(async (trx) => {
        await lockBriefly(trx);
        const first = await claimKey(trx, target, idempotencyKey);
        if (first) return { answer: first, dispatch: NOTHING };
        await lockAsUsual(trx);
        const { outcome, dispatch } = await startOne(trx, target, raw, payload);
        if (!('answer' in outcome)) throw new StaleWebhookTargetError();
        await keepAnswer(trx, target, idempotencyKey, outcome.answer);
        return { answer: outcome.answer, dispatch };
      }),
    );
  }
}

/**
 * What `attempt` (a transaction that claims idempotency keys, `lockBriefly`) comes to, tried
 * again while a key it claims is locked by a call in progress elsewhere; 409 `conflict` when
 * that call is still in progress after KEY_WAIT_MS.
 */
export async function whileKeysLocked<T>(attempt: () => Promise<T>): Promise<T> {
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
export async function lockBriefly(trx: Kysely<Database>): Promise<void> {
  await sql`set local lock_timeout = ${sql.lit(KEY_LOCK_TIMEOUT)}`.execute(trx);
}

/** Ends `lockBriefly` once the keys are claimed: the call's own writes (its contact, its run) wait for their locks as any call's do. */
export async function lockAsUsual(trx: Kysely<Database>): Promise<void> {
  await sql`set local lock_timeout to default`.execute(trx);
}

/**
 * Claims `idempotencyKey` for a call in `trx`: null when it is this call's to answer, else the
 * first answer given under it within 24 hours (a replay). Throws 55P03 while the key is
 * locked, 409 when its first call never finished.
 */
export async function claimKey(
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

/** Keeps the answer a claimed key's call was given: a repeat within 24 hours gets it again. */
export async function keepAnswer(
  trx: Kysely<Database>,
  target: WebhookTarget,
  idempotencyKey: string,
  answer: WebhookAnswer,
): Promise<void> {
  await trx
    .updateTable('webhook_keys')
    .set({ status_code: answer.statusCode, response: JSON.stringify(answer.body) })
    .where('journey_id', '=', target.journeyId)
    .where('node_id', '=', target.node.id)
    .where('key', '=', idempotencyKey)
    .execute();
}

/**
 * One call's run, on its own: bound to the payload's contact, found in the same statement or
 * created first when new; an identity no single contact holds whole, or one with a time zone
 * to store (the statement writes no contact), is bound (`bindContact`) and the run started
 * with its id.
 */
export async function startOne(
  db: Kysely<Database>,
  target: WebhookTarget,
  raw: ContactIdentity | null,
  payload: JsonObject,
): Promise<{ outcome: CallOutcome; dispatch: Dispatch }> {
  const identity = raw ? normalizeIdentity(raw) : null;
  const base = {
    version: target.version,
    triggerNodeId: target.node.id,
    output: triggerOutputOf(target.version, target.node.id),
    onlyIfLive: true,
    dispatch: true,
  };
  let started: InsertRunsResult | null = null;
  let call: CallResult | undefined;
  if (identity?.timezone === undefined) {
    started = await insertRuns(db, { ...base, contacts: { calls: [{ identity, trigger: payload }] } });
    call = started.calls[0];
  }
  if (raw && (!started || (started.live && call && !call.bound))) {
    started = await insertRuns(db, {
      ...base,
      contacts: {
        ids: [
          await bindContact(db, target.workspaceId, raw, { autoMerge: target.version.settings.autoMerge !== false }),
        ],
      },
      trigger: payload,
    });
    const runId = started.runIds[0] ?? null;
    call = { runId, bound: true, skipped: runId ? null : started.capped > 0 ? 'entry-cap' : 'reentry' };
  }
  if (!started?.live || !call) return { outcome: { stale: true }, dispatch: NOTHING };
  return { outcome: { answer: answerFor(call.runId, call.skipped) }, dispatch: started.dispatch };
}

/** The key of a keyed call in `#keysInProgress`. */
function keyId(target: WebhookTarget, idempotencyKey: string): string {
  return JSON.stringify([target.journeyId, target.node.id, idempotencyKey]);
}

/** A stored first answer, given again. */
function answerOf(first: { status_code: number | null; response: unknown }): WebhookAnswer {
  return { statusCode: first.status_code as 200 | 202, body: first.response as WebhookAnswer['body'], replayed: true };
}
