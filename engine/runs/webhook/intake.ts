import { type Context, context } from '@opentelemetry/api';
import type { JsonObject } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { ContactIdentity, NormalizedIdentity } from '../../contacts/identity/bind.js';
import type { Database } from '../../db/database.js';
import { activeCarrier } from '../../observability/trace-context.js';
import type { JobDispatcher } from '../dispatch.js';
import { insertRuns } from '../entry/insert-runs.js';
import { triggerOutputOf } from '../versions.js';
import { StaleWebhookTargetError, type WebhookTarget } from './webhook.js';

/** What a webhook call is answered with. */
export interface WebhookAnswer {
  statusCode: 200 | 202;
  body: { runId: string | null; skipped?: 'reentry' | 'entry-cap' };
  /** The first answer to an earlier call with the same key: this call started nothing. */
  replayed?: true;
}

/** A webhook call accepted so far: its payload, the contact it names, the answer awaited. */
interface Call {
  target: WebhookTarget;
  identity: NormalizedIdentity | null;
  raw: ContactIdentity | null;
  payload: JsonObject;
  /** The trace context the call arrived in: its run's steps are its children. */
  context: Context;
  resolve: (answer: WebhookAnswer) => void;
  reject: (error: unknown) => void;
}

/** What a call comes to once its statement has run. */
export type CallOutcome = { answer: WebhookAnswer } | { stale: true } | { unbound: true };

// Groups in flight at once: below it a call goes out alone at once; above it calls wait and
// leave together in the next group. One: a second group in flight made each call cost
// PostgreSQL 40% more (groups half the size, their inserts contending) and answered fewer.
const IN_FLIGHT = 1;
const MAX_GROUP = 500;

/** The answer to a call that started `runId` (null: the re-entry rule or the entry cap turned it away). */
export function answerFor(runId: string | null, skipped: 'reentry' | 'entry-cap' | null = 'reentry'): WebhookAnswer {
  return runId
    ? { statusCode: 202, body: { runId } }
    : { statusCode: 200, body: { runId: null, skipped: skipped ?? 'reentry' } };
}

/**
 * Accepts webhook calls in groups: while a group's statements run, the calls that arrive
 * wait, then leave in ONE statement per journey trigger (`insertRuns` with `calls`), each
 * answered only once that statement has committed. At a trickle a call goes alone, at once;
 * under load the cost of a statement and its commit is shared by the group. A group that
 * fails is tried again call by call, so one bad call fails alone.
 *
 * @example
 * const answer = await intake.accept(target, identity, payload, bindAlone);
 */
export class WebhookIntake {
  #waiting: Call[] = [];
  #inFlight = 0;
  #idle: (() => void)[] = [];

  constructor(
    /** Connections planning statements generically (`Runtime.intakeDb`). */
    private readonly db: Kysely<Database>,
    private readonly dispatcher: JobDispatcher,
    /** Starts one call on its own: an identity no single contact holds whole is bound first. */
    private readonly alone: (
      target: WebhookTarget,
      raw: ContactIdentity | null,
      payload: JsonObject,
    ) => Promise<CallOutcome>,
  ) {}

  /** The call's answer once its run is committed; rejects with `StaleWebhookTargetError` and the like. */
  accept(
    target: WebhookTarget,
    identity: NormalizedIdentity | null,
    raw: ContactIdentity | null,
    payload: JsonObject,
  ): Promise<WebhookAnswer> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ target, identity, raw, payload, context: context.active(), resolve, reject });
      this.#kick();
    });
  }

  /** Resolves once every call accepted so far is answered. */
  async drain(): Promise<void> {
    while (this.#inFlight > 0 || this.#waiting.length) await new Promise<void>((r) => this.#idle.push(r));
  }

  #kick(): void {
    while (this.#inFlight < IN_FLIGHT && this.#waiting.length) {
      const group = this.#waiting.splice(0, MAX_GROUP);
      this.#inFlight++;
      void this.#flush(group).finally(() => {
        this.#inFlight--;
        this.#kick();
        if (this.#inFlight === 0 && !this.#waiting.length) for (const wake of this.#idle.splice(0)) wake();
      });
    }
  }

  async #flush(group: Call[]): Promise<void> {
    const byTarget = new Map<string, Call[]>();
    for (const call of group) {
      const key = `${call.target.journeyId}:${call.target.version.version}:${call.target.node.id}`;
      const list = byTarget.get(key) ?? [];
      list.push(call);
      byTarget.set(key, list);
    }
    await Promise.all([...byTarget.values()].map((calls) => this.#start(calls)));
  }

  async #start(calls: Call[]): Promise<void> {
    const target = (calls[0] as Call).target;
    let outcomes: CallOutcome[];
    try {
      // A statement of its own (it commits as it returns: one round trip), on a connection
      // that plans it once, generically: planning this long a statement afresh for each group
      // (PostgreSQL's choice for it) cost more than running it.
      const started = await insertRuns(this.db, {
        version: target.version,
        triggerNodeId: target.node.id,
        output: triggerOutputOf(target.version, target.node.id),
        contacts: {
          calls: calls.map((c) => ({
            identity: c.identity,
            trigger: c.payload,
            traceContext: activeCarrier(c.context),
          })),
        },
        onlyIfLive: true,
        dispatch: true,
      });
      this.dispatcher.add(started.dispatch);
      outcomes = started.calls.map((c) =>
        !started.live ? { stale: true } : c.bound ? { answer: answerFor(c.runId, c.skipped) } : { unbound: true },
      );
    } catch {
      // Try each on its own: the one that broke the group gets its own error.
      outcomes = calls.map(() => ({ unbound: true }));
    }
    await Promise.all(
      calls.map(async (call, i) => {
        try {
          const outcome = outcomes[i] ?? { unbound: true };
          const settled =
            'unbound' in outcome
              ? await context.with(call.context, () => this.alone(call.target, call.raw, call.payload))
              : outcome;
          if ('answer' in settled) call.resolve(settled.answer);
          else call.reject(new StaleWebhookTargetError());
        } catch (error) {
          call.reject(error);
        }
      }),
    );
  }
}
