import {
  type AnyNodeDefinition,
  type JsonObject,
  type JsonValue,
  type PollContext,
  type PollItem,
  type PollResult,
  type PollTrigger,
  parseDuration,
  WaymarkError,
} from '@waymark/sdk';
import type { Task } from 'graphile-worker';
import { type Kysely, sql } from 'kysely';
import { bindContact } from '../../contacts/identity/bind.js';
import type { Database } from '../../db/database.js';
import type { GraphNode } from '../../graph/types.js';
import { createHttpClient } from '../../http/client.js';
import type { Runtime } from '../../runtime.js';
import { paramsHash } from '../../segments/tick.js';
import { insertRuns } from '../entry/insert-runs.js';
import { type CompiledVersion, loadVersion, triggerOutputOf } from '../versions.js';
import { type TriggerPlace, triggerContext } from './context.js';
import { TriggerFailedError } from './errors.js';
import { contactProblem, identityOfContact, isPayload } from './starts.js';

/** The graphile-worker task that calls the polling triggers that are due; it re-adds itself. */
export const POLLS_TASK = 'waymark.trigger-polls';
/** How often the task looks for polls that are due. */
const CYCLE_MS = 5_000;
const DEFAULT_EVERY = 'PT5M';
/** No journey's trigger is polled more often than this (SDK README "Triggers"). */
export const MINIMUM_EVERY_MS = 60_000;
const KEY_MAX = 1_000;

/** A live journey's node whose definition declares `poll`. */
interface PollingNode extends TriggerPlace {
  version: CompiledVersion;
  definition: AnyNodeDefinition;
  poll: PollTrigger<never>;
}

/** The polling triggers of the live journeys' published versions (a paused journey's are not polled). */
async function livePolls(runtime: Runtime): Promise<PollingNode[]> {
  const journeys = await runtime.db
    .selectFrom('journeys')
    .select(['id', 'workspace_id', 'published_version'])
    .where('status', '=', 'live')
    .where('published_version', 'is not', null)
    .execute();
  const found: PollingNode[] = [];
  for (const journey of journeys) {
    const version = await loadVersion(runtime.db, journey.id, journey.published_version as number);
    if (!version) continue;
    for (const node of version.nodes.values()) {
      const definition = runtime.registry.get(node.type, node.version, version.packages)?.definition;
      const poll = definition?.kind === 'trigger' ? definition.poll : undefined;
      if (definition && poll)
        found.push({ journeyId: journey.id, workspaceId: journey.workspace_id, node, version, definition, poll });
    }
  }
  return found;
}

/** How long after a poll the next is due: its `every`, default `PT5M`, at least `MINIMUM_EVERY_MS`. */
async function intervalOf(p: PollingNode): Promise<number> {
  const { every } = p.poll;
  const text: unknown = typeof every === 'function' ? await every(p.node.params as never) : (every ?? DEFAULT_EVERY);
  const ms = typeof text === 'string' ? parseDuration(text) : null;
  if (ms === null)
    throw new TriggerFailedError(`${what(p.node)}.every answered ${JSON.stringify(text)}, not an ISO 8601 duration`);
  return Math.max(ms, MINIMUM_EVERY_MS);
}

const what = (node: GraphNode) => `${node.type}@${node.version} poll`;

/**
 * Takes the trigger's turn when it is due (or its params changed since its last poll): the
 * next due time is set now, so a poll that fails or a process that crashes tries again only
 * then, and other workers skip it. Changed params forget the state and the keys seen. Null
 * when it is not due or another worker holds it; else what the last poll kept.
 */
async function claim(db: Kysely<Database>, p: PollingNode, now: Date): Promise<{ state: JsonValue | null } | null> {
  const hash = paramsHash(p.node.type, p.node.params ?? {});
  return db.transaction().execute(async (trx) => {
    await sql`insert into trigger_state (journey_id, node_id, params_hash)
      values (${p.journeyId}, ${p.node.id}, ${hash}) on conflict do nothing`.execute(trx);
    const { rows } = await sql<{ params_hash: string; next_at: Date | null; poll_state: JsonValue | null }>`
      select params_hash, next_at, poll_state from trigger_state
      where journey_id = ${p.journeyId} and node_id = ${p.node.id} for update skip locked`.execute(trx);
    const row = rows[0];
    if (!row) return null;
    const changed = row.params_hash !== hash;
    if (!changed && row.next_at && row.next_at > now) return null;
    if (changed)
      await trx
        .deleteFrom('trigger_seen_keys')
        .where('journey_id', '=', p.journeyId)
        .where('node_id', '=', p.node.id)
        .execute();
    const next = new Date(now.getTime() + (await intervalOf(p)));
    await sql`update trigger_state set params_hash = ${hash}, last_at = ${now}, next_at = ${next}
      ${changed ? sql`, poll_state = null` : sql``}
      where journey_id = ${p.journeyId} and node_id = ${p.node.id}`.execute(trx);
    return { state: changed ? null : row.poll_state };
  });
}

/** Why `value` is not `{ items: [{ key, payload, contact? }], state? }`, or null. */
function resultProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { items?: unknown }).items))
    return 'it did not answer { items: [...] }';
  for (const [i, item] of (value as { items: unknown[] }).items.entries()) {
    const it = item as { key?: unknown; payload?: unknown; contact?: unknown } | null;
    if (!it || typeof it.key !== 'string' || !it.key || it.key.length > KEY_MAX)
      return `items[${i}].key is not a text of 1 to ${KEY_MAX} characters`;
    if (!isPayload(it.payload)) return `items[${i}].payload is not a JSON object`;
    const contact = contactProblem(it.contact);
    if (contact) return `items[${i}].${contact}`;
  }
  return null;
}

/** The journey was paused, archived or republished while its poll ran: nothing of it is kept. */
class JourneyMovedOnError extends Error {}

/**
 * In one transaction: the items whose key the node has not seen are marked seen and each
 * starts a run, bound to the contact it names (none: anonymous; one that cannot be bound is
 * passed over, logged), re-entry and the entry cap applied; the poll's `state` is kept. A crash
 * keeps none of it, so the next poll starts them; a repeat starts nobody twice.
 */
async function startItems(runtime: Runtime, p: PollingNode, result: PollResult): Promise<number> {
  const items = [...new Map(result.items.map((item) => [item.key, item] as const)).values()];
  const log = runtime.logger.child({ journeyId: p.journeyId, nodeId: p.node.id });
  return runtime.db.transaction().execute(async (trx) => {
    const fresh = items.length
      ? await sql<{ key: string }>`
          insert into trigger_seen_keys (journey_id, node_id, key)
          select ${p.journeyId}, ${p.node.id}, k from unnest(${items.map((i) => i.key)}::text[]) as k
          on conflict do nothing returning key`.execute(trx)
      : { rows: [] };
    const seenNow = new Set(fresh.rows.map((r) => r.key));
    let started = 0;
    for (const item of items.filter((i) => seenNow.has(i.key))) {
      const runId = await startItem(trx, p, item, log);
      if (runId === undefined) continue;
      if (runId) started++;
      await trx
        .updateTable('trigger_seen_keys')
        .set({ run_id: runId })
        .where('journey_id', '=', p.journeyId)
        .where('node_id', '=', p.node.id)
        .where('key', '=', item.key)
        .execute();
    }
    if (result.state !== undefined)
      await sql`update trigger_state set poll_state = ${JSON.stringify(result.state)}::jsonb
        where journey_id = ${p.journeyId} and node_id = ${p.node.id}`.execute(trx);
    return started;
  });
}

/** One item's run: its id, null when re-entry or the cap turned it away, undefined when its contact could not be bound. */
async function startItem(
  trx: Kysely<Database>,
  p: PollingNode,
  item: PollItem,
  log: Runtime['logger'],
): Promise<string | null | undefined> {
  const raw = identityOfContact(item.contact);
  let contactId: string | null = null;
  if (raw) {
    try {
      contactId = await bindContact(trx, p.workspaceId, raw, { autoMerge: p.version.settings.autoMerge !== false });
    } catch (error) {
      if (!(error instanceof WaymarkError)) throw error;
      log.warn({ key: item.key, err: error.message }, 'a polled item names a contact that cannot be bound; no run');
      return undefined;
    }
  }
  const started = await insertRuns(trx, {
    version: p.version,
    triggerNodeId: p.node.id,
    output: triggerOutputOf(p.version, p.node.id),
    contacts: { ids: [contactId] },
    trigger: item.payload as JsonObject,
    onlyIfLive: true,
  });
  if (!started.live) throw new JourneyMovedOnError();
  return started.runIds[0] ?? null;
}

/** Polls one trigger if it is due; how many runs it started. Throws what the poll threw. */
async function pollOne(runtime: Runtime, p: PollingNode): Promise<number> {
  const claimed = await claim(runtime.db, p, runtime.clock.now());
  if (!claimed) return 0;
  const { ctx: base, secrets } = triggerContext(runtime, p, p.definition);
  const ctx: PollContext<JsonObject> = { ...base, http: createHttpClient({ runtime }), state: claimed.state };
  let value: unknown;
  try {
    value = await (p.poll.run as (ctx: PollContext<JsonObject>) => unknown)(ctx);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new TriggerFailedError(
      secrets.text(error instanceof TriggerFailedError ? message : `${what(p.node)}.run failed: ${message}`),
    );
  }
  const problem = resultProblem(value);
  if (problem) throw new TriggerFailedError(`${what(p.node)}.run answered what is not a poll's answer: ${problem}`);
  try {
    // Its payloads and state are stored: no secret it read stays in them.
    const started = await startItems(runtime, p, secrets.value(value) as PollResult);
    // Each run's trigger step completed here, counted once committed (API.md "Metrics").
    if (started) runtime.metrics.triggered(p.node.type, started);
    return started;
  } catch (error) {
    if (error instanceof JourneyMovedOnError) return 0;
    throw error;
  }
}

/**
 * Calls every live journey's polling trigger that is due (SDK README "Triggers"), one after
 * another, and starts the runs of what they found; returns how many started. A poll that
 * throws is logged and tried at its next due time; it holds up no other. Safe to call from
 * several workers at once.
 */
export async function pollTriggers(runtime: Runtime): Promise<number> {
  let started = 0;
  for (const p of await livePolls(runtime)) {
    try {
      started += await pollOne(runtime, p);
    } catch (error) {
      runtime.logger.error(
        { err: error, journeyId: p.journeyId, nodeId: p.node.id },
        'a polling trigger failed; it is tried again when next due',
      );
    }
  }
  return started;
}

/** Queues the next look for due polls (one pending job at a time thanks to the job key). */
export async function schedulePolls(db: Kysely<Database>, delayMs = CYCLE_MS): Promise<void> {
  await sql`select graphile_worker.add_job(${POLLS_TASK}, '{}'::json,
    run_at => now() + ${delayMs} * interval '1 millisecond', job_key => ${POLLS_TASK}, max_attempts => 25)`.execute(db);
}

/**
 * The task to register as `waymark.trigger-polls`: polls what is due, then queues itself
 * `CYCLE_MS` later. Apart from the segment triggers' tick, so a slow source delays none of them.
 */
export function pollsTask(runtime: Runtime): Task {
  return async () => {
    try {
      await pollTriggers(runtime);
    } catch (error) {
      runtime.logger.error({ err: error }, 'polling triggers could not be read; trying again shortly');
    }
    await schedulePolls(runtime.db);
  };
}
