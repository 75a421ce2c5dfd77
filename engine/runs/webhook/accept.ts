import { ConflictError, type JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { bindContact, type ContactIdentity, normalizeIdentity } from '../../contacts/identity/bind.js';
import type { Database } from '../../db/database.js';
import type { Dispatch, JobDispatcher } from '../dispatch.js';
import { type CallResult, type InsertRunsResult, insertRuns } from '../entry/insert-runs.js';
import { triggerOutputOf } from '../versions.js';
import { answerFor, type CallOutcome, type WebhookAnswer, WebhookIntake } from './intake.js';
import { identityOf, StaleWebhookTargetError, type WebhookTarget } from './webhook.js';

// A repeat of a key whose first call is still in its transaction waits this long, then gets 409.
const KEY_LOCK_TIMEOUT = '3s';

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

  /** Throws ValidationError for a malformed identity, StaleWebhookTargetError when the journey changed. */
  async accept(target: WebhookTarget, payload: JsonObject, idempotencyKey: string | null): Promise<WebhookAnswer> {
    const raw = identityOf(payload);
    const identity = raw ? normalizeIdentity(raw) : null;
    if (idempotencyKey !== null) {
      const { answer, dispatch } = await this.#keyed(target, raw, payload, idempotencyKey);
      this.dispatcher.add(dispatch);
      return answer;
    }
    if (raw && identity?.timezone !== undefined) return this.#writing(target, raw, payload);
    return this.#intake.accept(target, identity, raw, payload);
  }

  /**
   * The answer a call with `idempotencyKey` was given within 24 hours, if any: a repeat gets it
   * again before anything else is asked of it (its body, the journey's rate limit).
   */
  async replay(target: WebhookTarget, idempotencyKey: string): Promise<WebhookAnswer | null> {
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

  async #keyed(
    target: WebhookTarget,
    raw: ContactIdentity | null,
    payload: JsonObject,
    idempotencyKey: string,
  ): Promise<{ answer: WebhookAnswer; dispatch: Dispatch }> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        await sql`set local lock_timeout = ${sql.lit(KEY_LOCK_TIMEOUT)}`.execute(trx);
        const claimed = await sql<{ key: string }>`
          insert into webhook_keys (journey_id, node_id, key) values (${target.journeyId}, ${target.node.id}, ${idempotencyKey})
          on conflict (journey_id, node_id, key) do update set created_at = now(), status_code = null, response = null
            where webhook_keys.created_at < now() - interval '24 hours'
          returning key
        `.execute(trx);
        if (claimed.rows.length === 0) {
          const first = await trx
            .selectFrom('webhook_keys')
            .select(['status_code', 'response'])
            .where('journey_id', '=', target.journeyId)
            .where('node_id', '=', target.node.id)
            .where('key', '=', idempotencyKey)
            .executeTakeFirst();
          if (!first?.status_code) throw new ConflictError('a call with this Idempotency-Key is in progress; retry');
          return { answer: answerOf(first), dispatch: NOTHING };
        }
        const { outcome, dispatch } = await startOne(trx, target, raw, payload);
        if (!('answer' in outcome)) throw new StaleWebhookTargetError();
        const { answer } = outcome;
        await trx
          .updateTable('webhook_keys')
          .set({ status_code: answer.statusCode, response: JSON.stringify(answer.body) })
          .where('journey_id', '=', target.journeyId)
          .where('node_id', '=', target.node.id)
          .where('key', '=', idempotencyKey)
          .execute();
        return { answer, dispatch };
      });
    } catch (error) {
      if ((error as { code?: string }).code === '55P03')
        throw new ConflictError('a call with this Idempotency-Key is in progress; retry', { cause: error });
      throw error;
    }
  }
}

/**
 * One call's run, on its own: bound to the payload's contact, found in the same statement or
 * created first when new; an identity no single contact holds whole, or one with a time zone
 * to store (the statement writes no contact), is bound (`bindContact`) and the run started
 * with its id.
 */
async function startOne(
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

/** A stored first answer, given again. */
function answerOf(first: { status_code: number | null; response: unknown }): WebhookAnswer {
  return { statusCode: first.status_code as 200 | 202, body: first.response as WebhookAnswer['body'], replayed: true };
}
