import { type Contact, type ContactEvent, evaluateFilter, type Filter, type JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { loadRunContacts } from '../contacts/load.js';
import type { Database } from '../db/database.js';
import { recordConversions } from '../experiments/conversions.js';
import { recordEngagement } from '../experiments/engagement.js';
import { mentionsClause } from '../sdk/src/filter/evaluate.js';
import { addStepJobs } from './bookkeeping.js';
import { endRuns, lockRuns } from './end-runs.js';
import { startRun } from './entry/start.js';
import type { EventCandidates } from './event-candidates.js';

/**
 * True when an event filter (its `attr` naming keys of the properties) accepts the event. A
 * tag or list clause reads `contact`, the event's contact, as it does in a segment.
 */
export function eventMatches(filter: unknown, event: ContactEvent, contact: Contact | null = null): boolean {
  if (filter === null || filter === undefined) return true;
  return evaluateFilter(filter as Filter, { contact, properties: event.properties, now: new Date() });
}

/** `eventMatches`, where a filter that cannot be evaluated matches nothing. */
export function safeMatches(filter: unknown, event: ContactEvent, contact: Contact | null = null): boolean {
  try {
    return eventMatches(filter, event, contact);
  } catch {
    // A filter that cannot be evaluated matches nothing rather than failing the event's storage.
    return false;
  }
}

function readsContact(filter: unknown): boolean {
  try {
    return filter !== null && typeof filter === 'object' && mentionsClause(filter as Filter, ['tag', 'list']);
  } catch {
    return false;
  }
}

/**
 * `safeMatches` for the event filters of `filters`: the event's contact (with its tags and
 * lists) is read once, and only when one of them has a tag or list clause.
 */
export async function eventFilterMatcher(
  trx: Kysely<Database>,
  event: ContactEvent,
  filters: readonly unknown[],
): Promise<(filter: unknown) => boolean> {
  const contact = filters.some(readsContact)
    ? ((await loadRunContacts(trx, [event.contactId])).get(event.contactId) ?? null)
    : null;
  return (filter) => safeMatches(filter, event, contact);
}

/** The event as a resumed wait and a `core.event` run see it. */
export function eventValue(event: ContactEvent): JsonObject {
  return { id: event.id, name: event.name, properties: event.properties, timestamp: event.timestamp };
}

/**
 * Runs inside the transaction that stored `event`, on what `EVENT_CANDIDATES` read there that it
 * may act on (`found`): converts runs to their goals, resumes the contact's matching waits,
 * ends runs whose journey lists the event in `exitOn`, starts `core.event` journeys.
 * Returns how many runs it started (their trigger steps are the caller's to count, once
 * the transaction committed). (Engine part.)
 */
export async function applyEventEffects(
  trx: Kysely<Database>,
  event: ContactEvent,
  found: EventCandidates,
): Promise<number> {
  // Goals first: a run that converts with exitOnGoal ends as `goal` before exitOn looks at it.
  await recordConversions(trx, event, found.goals);
  await recordEngagement(trx, event);
  if (found.exiting.length) await endRuns(trx, { runIds: found.exiting }, 'exited');

  // The waits' runs are locked before them (lockRuns): a wait that appears meanwhile is one
  // created after this event, as it would have been a moment later.
  await lockRuns(trx, found.waiting);
  const waits = found.waiting.length
    ? await trx
        .selectFrom('waits')
        .select(['id', 'step_id', 'filter'])
        .where('contact_id', '=', event.contactId)
        .where('event_name', '=', event.name)
        .where('run_id', 'in', found.waiting)
        .forUpdate()
        .execute()
    : [];
  const waitMatches = await eventFilterMatcher(
    trx,
    event,
    waits.map((w) => w.filter),
  );
  const matching = waits.filter((w) => waitMatches(w.filter));
  if (matching.length) {
    // The step row decides between this event and the wait's timeout: whoever sets `resume` first.
    // A resumed token is queued, no longer parked: it is `pending` from this transaction on, its
    // run `running` (API.md "Runs"), and it leaves the waiting counts here, not when it runs.
    const resumed = await trx
      .updateTable('steps')
      .set({ resume: JSON.stringify({ kind: 'event', event: eventValue(event) }), status: 'pending' })
      .where(
        'id',
        'in',
        matching.map((w) => w.step_id),
      )
      .where('status', '=', 'waiting')
      .where('resume', 'is', null)
      .returning(['id', 'node_id'])
      .execute();
    if (resumed.length)
      await sql`
        select waymark_move_runs(json_agg(json_build_object('runId', s.run_id, 'open', 0, 'waiting', -1))),
          waymark_add_counters(json_agg(json_build_object('journeyId', s.journey_id, 'version', s.version,
            'nodeId', s.node_id, 'waiting', -1)))
        from steps s where s.id = any(${resumed.map((r) => r.id)}::uuid[])`.execute(trx);
    await trx
      .deleteFrom('waits')
      .where(
        'id',
        'in',
        matching.map((w) => w.id),
      )
      .execute();
    await addStepJobs(
      trx,
      resumed.map((s) => ({ stepId: s.id, nodeId: s.node_id })),
    );
  }

  const triggerMatches = await eventFilterMatcher(
    trx,
    event,
    found.triggers.map((t) => t.filter),
  );
  let started = 0;
  for (const trigger of found.triggers) {
    if (!triggerMatches(trigger.filter)) continue;
    const run = await startRun(trx, {
      journeyId: trigger.journeyId,
      version: trigger.version,
      triggerNodeId: trigger.nodeId,
      contactId: event.contactId,
      trigger: eventValue(event),
    });
    if (run) started++;
  }
  return started;
}
