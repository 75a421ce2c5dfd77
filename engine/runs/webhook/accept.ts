import type { JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { type ContactIdentity, normalizeIdentity } from '../../contacts/identity/bind.js';
import type { Database } from '../../db/database.js';
import type { Dispatch, JobDispatcher } from '../dispatch.js';
import { type WebhookAnswer, WebhookIntake } from './intake.js';
import { answerOf, startGroup } from './keyed-starts.js';
import { NO_DISPATCH, startOne } from './start-one.js';
import { identityOf, StaleWebhookTargetError, type WebhookTarget } from './webhook.js';

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
  async #keyed(
    target: WebhookTarget,
    raw: ContactIdentity | null,
    payload: JsonObject,
    idempotencyKey: string,
  ): Promise<{ answer: WebhookAnswer; dispatch: Dispatch }> {
    const { answers, dispatch } = await startGroup(this.db, target, [{ identity: raw, payload, idempotencyKey }]);
    return { answer: answers[0] as WebhookAnswer, dispatch: dispatch[0] ?? NO_DISPATCH };
  }
}

/** The key of a keyed call in `#keysInProgress`. */
function keyId(target: WebhookTarget, idempotencyKey: string): string {
  return JSON.stringify([target.journeyId, target.node.id, idempotencyKey]);
}
