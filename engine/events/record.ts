import { ConflictError, type ContactEvent, type JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { COMPUTED_TRIGGER } from '../computed/becomes.js';
import { refreshContacts } from '../computed/refresh.js';
import type { Database } from '../db/database.js';
import { inTransaction } from '../db/transaction.js';
import type { TriggerCounter } from '../observability/metrics.js';
import { EVENT_CANDIDATES, EVENT_TRIGGER, type EventCandidates } from '../runs/event-candidates.js';
import { applyEventEffects } from '../runs/event-effects.js';

export interface EventInput {
  contactId: string;
  name: string;
  properties?: JsonObject;
  timestamp?: Date;
  idempotencyKey?: string;
}

interface EventRow {
  workspace_id?: string;
  id: string;
  contact_id: string;
  name: string;
  properties: JsonObject;
  timestamp: Date;
}

/** An event row as the API and nodes see it. */
export function toContactEvent(r: EventRow): ContactEvent {
  return {
    id: r.id,
    contactId: r.contact_id,
    name: r.name,
    properties: r.properties,
    timestamp: new Date(r.timestamp).toISOString(),
  };
}

/**
 * The runs events of one transaction started, summed for the caller to count their trigger
 * steps (`countTriggerSteps(metrics, tally)`) once it committed: `runsStarted` at `core.event`
 * triggers, `computedRunsStarted` at `core.computed` ones (the computed values the events moved).
 */
export interface RunTally {
  runsStarted: number;
  computedRunsStarted: number;
}

/** A fresh tally. */
export const newTally = (): RunTally => ({ runsStarted: 0, computedRunsStarted: 0 });

/**
 * Counts the trigger steps of the runs a committed transaction's events started, each once as
 * completed under its trigger's node type (API.md "Metrics").
 *
 * @example
 * const tally = newTally();
 * await db.transaction().execute((trx) => recordEvent(trx, input, tally));
 * countTriggerSteps(runtime.metrics, tally);
 */
export function countTriggerSteps(metrics: TriggerCounter, started: RunTally): void {
  metrics.triggered(EVENT_TRIGGER, started.runsStarted);
  metrics.triggered(COMPUTED_TRIGGER, started.computedRunsStarted);
}

/**
 * Stores an event and, in the same transaction, everything it sets off: matching
 * `core.wait-for-event` waits resume, `exitOn` ends runs, `core.event` journeys start
 * (`applyEventEffects`), and `core.computed` journeys whose attribute it moved. A repeated
 * idempotency key returns the first event and does nothing. `runsStarted` and
 * `computedRunsStarted`: the runs it started (also added to `tally`), whose trigger steps the
 * caller counts (`countTriggerSteps(metrics, recorded)`) once the transaction committed.
 * (Contact store part; the effects are the engine's.)
 */
export async function recordEvent(
  db: Kysely<Database>,
  input: EventInput,
  tally?: RunTally,
): Promise<{ event: ContactEvent; duplicate: boolean } & RunTally> {
  const run = async (trx: Kysely<Database>) => {
    // ON CONFLICT waits for a concurrent insert of the same key to commit, then yields nothing.
    // Stored, with what it may act on read in the same statement (EVENT_CANDIDATES).
    const { rows } = await sql<EventRow & EventCandidates>`
      with stored as (
        insert into events (contact_id, name, properties, timestamp, idempotency_key)
        values (${input.contactId}, ${input.name}, ${JSON.stringify(input.properties ?? {})}::jsonb,
          coalesce(${input.timestamp ?? null}::timestamptz, now()), ${input.idempotencyKey ?? null})
        on conflict (workspace_id, idempotency_key) do nothing
        returning id, contact_id, name, properties, timestamp, workspace_id
      )
      select s.*, ${EVENT_CANDIDATES}
      from stored s
        cross join lateral (select s.contact_id, s.name, date_trunc('milliseconds', s.timestamp) as at, s.workspace_id) e`.execute(
      trx,
    );
    const stored = rows[0];
    if (!stored) {
      const found = await sql<EventRow>`
        select id, contact_id, name, properties, timestamp from events
        where idempotency_key = ${input.idempotencyKey ?? ''}
          and workspace_id = (select workspace_id from contacts where id = ${input.contactId})`.execute(trx);
      const first = found.rows[0];
      if (!first) throw new ConflictError('an event with this idempotency key is still being stored; retry');
      return { event: toContactEvent(first), duplicate: true, ...newTally() };
    }
    const event = toContactEvent(stored);
    const found: EventCandidates = stored;
    const runsStarted = await applyEventEffects(trx, event, found);
    // Computed attributes the event changes are current when the call answers.
    const computedRunsStarted =
      stored.workspace_id && found.computed
        ? await refreshContacts(trx, stored.workspace_id, [event.contactId], { event: event.name })
        : 0;
    if (tally) {
      tally.runsStarted += runsStarted;
      tally.computedRunsStarted += computedRunsStarted;
    }
    return { event, duplicate: false, runsStarted, computedRunsStarted };
  };
  return inTransaction(db, run);
}
