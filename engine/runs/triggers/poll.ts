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
import { DEFAULT_TIMEOUT_MS } from '../node/invoke.js';
import { type CompiledVersion, loadVersion, triggerOutputOf } from '../versions.js';
import { type TriggerPlace, triggerContext } from './context.js';
import { TriggerFailedError } from './errors.js';
import {
  CLAIM_LEASE_MS,
  type ClaimedPoll,
  claimDue,
  endTurn,
  findPolls,
  giveBackTurn,
  holdTurn,
  MINIMUM_EVERY_MS,
  startTurn,
} from './poll-due.js';
import { contactProblem, identityOfContact, isPayload } from './starts.js';

/** The graphile-worker task that calls the polling triggers that are due; it re-adds itself. */
export const POLLS_TASK = 'waymark.trigger-polls';
/** How often the task looks for polls that are due. */
const CYCLE_MS = 5_000;
const DEFAULT_EVERY = 'PT5M';
const DEFAULT_EVERY_MS = 300_000;
/** How many polls run at once in one process: a slow source takes one place, never all. */
export const POLL_CONCURRENCY = 4;
const KEY_MAX = 1_000;

/** A claimed turn's node, its version and its definition's `poll`. */
interface PollingNode extends TriggerPlace {
  version: CompiledVersion;
  definition: AnyNodeDefinition;
  poll: PollTrigger<never>;
  turn: ClaimedPoll;
}

/** The node a claimed turn polls, or null when its version or definition is not found now. */
async function pollingNode(runtime: Runtime, turn: ClaimedPoll): Promise<PollingNode | null> {
  const version = await loadVersion(runtime.db, turn.journeyId, turn.version);
  const node = version?.nodes.get(turn.nodeId);
  if (!version || !node) return null;
  const definition = runtime.registry.get(node.type, node.version, version.packages)?.definition;
  const poll = definition?.kind === 'trigger' ? definition.poll : undefined;
  if (!definition || !poll) return null;
  return { journeyId: turn.journeyId, workspaceId: turn.workspaceId, node, version, definition, poll, turn };
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
 * What `work` comes to, or TriggerFailedError once `limitMs` has passed: a poll of a package
 * in the server's process gets a step's limit (its thread's limit ends an installed one's first).
 */
async function within<T>(limitMs: number, p: PollingNode, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TriggerFailedError(`${what(p.node)} passed its time limit of ${limitMs} ms`)),
      limitMs,
    );
  });
  try {
    return await Promise.race([work(), late]);
  } finally {
    clearTimeout(timer);
  }
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
 * In one transaction, while the turn is still this worker's: the items whose key the node has
 * not seen are marked seen and each starts a run, bound to the contact it names (none:
 * anonymous; one that cannot be bound is passed over, logged), re-entry and the entry cap
 * applied; the poll's `state` is kept and the turn given back, due `nextAt`. A crash keeps none
 * of it, so the next poll starts them; a repeat starts nobody twice. Null when the turn was lost.
 */
async function startItems(runtime: Runtime, p: PollingNode, result: PollResult, nextAt: Date): Promise<number | null> {
  const items = [...new Map(result.items.map((item) => [item.key, item] as const)).values()];
  const log = runtime.logger.child({ journeyId: p.journeyId, nodeId: p.node.id });
  return runtime.db.transaction().execute(async (trx) => {
    if (!(await holdTurn(trx, p.turn))) return null;
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
    await endTurn(trx, p.turn, nextAt);
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

/**
 * Polls a claimed turn's trigger and starts the runs of what it found; how many started.
 * Throws what the poll threw, once its turn is given back: it is next due `every` after it
 * was taken (`PT5M` when `every` itself failed). A failed final write (the database away a
 * moment) gives the turn back too, retried while its lease lasts (`giveBackTurn`).
 */
async function pollOne(runtime: Runtime, turn: ClaimedPoll, signal?: AbortSignal): Promise<number> {
  const p = await pollingNode(runtime, turn);
  if (!p) {
    // Its package is not loaded here (yet): tried again after the default interval.
    await endTurn(runtime.db, turn, new Date(turn.claimedAt.getTime() + DEFAULT_EVERY_MS));
    return 0;
  }
  const limitMs = p.definition.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // `every` and `run` each within the limit, and the commit after them.
  const leaseMs = 2 * limitMs + CLAIM_LEASE_MS;
  if (!(await startTurn(runtime.db, turn, leaseMs, paramsHash(p.node.type, p.node.params ?? {})))) return 0;
  const state = turn.paramsHash === paramsHash(p.node.type, p.node.params ?? {}) ? turn.state : null;
  let nextAt = new Date(turn.claimedAt.getTime() + DEFAULT_EVERY_MS);
  try {
    nextAt = new Date(turn.claimedAt.getTime() + (await within(limitMs, p, () => intervalOf(p))));
    const value = await within(limitMs, p, () => callPoll(runtime, p, state));
    const started = await startItems(runtime, p, value, nextAt);
    // Each run's trigger step completed here, counted once committed (API.md "Metrics").
    if (started) runtime.metrics.triggered(p.node.type, started);
    return started ?? 0;
  } catch (error) {
    const leaseEnd = new Date(turn.claimedAt.getTime() + leaseMs);
    await giveBackTurn(runtime.db, turn, nextAt, { leaseEnd, now: () => runtime.clock.now(), signal });
    if (error instanceof JourneyMovedOnError) return 0;
    throw error;
  }
}

/** Calls `poll.run` with the state the last poll kept: its answer, checked and with no secret it read. */
async function callPoll(runtime: Runtime, p: PollingNode, state: JsonValue | null): Promise<PollResult> {
  const { ctx: base, secrets } = triggerContext(runtime, p, p.definition);
  const ctx: PollContext<JsonObject> = { ...base, http: createHttpClient({ runtime }), state };
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
  // Its payloads and state are stored: no secret it read stays in them.
  return secrets.value(value) as PollResult;
}

/** Polls running in this process, by runtime: at most POLL_CONCURRENCY at once, whatever task started them. */
const running = new WeakMap<Runtime, { count: number }>();

/**
 * Calls the live journeys' polling triggers that are due (SDK README "Triggers"), up to
 * POLL_CONCURRENCY at once in this process, taking the next due one as each ends, until none
 * is due; returns how many runs they started. A poll that throws is logged and tried at its
 * next due time; a slow one holds a place but no other poll. Safe to call from several
 * workers at once: each turn is taken by one. `signal` (the worker stopping) ends the retries
 * of a turn that could not be given back.
 */
export async function pollTriggers(runtime: Runtime, signal?: AbortSignal): Promise<number> {
  await findPolls(runtime);
  const slots = running.get(runtime) ?? { count: 0 };
  running.set(runtime, slots);
  const inFlight = new Set<Promise<void>>();
  let started = 0;
  for (;;) {
    const turns = await claimDue(runtime.db, runtime.clock.now(), POLL_CONCURRENCY - slots.count);
    for (const turn of turns) {
      slots.count++;
      const done: Promise<void> = pollOne(runtime, turn, signal)
        .then(
          (n) => {
            started += n;
          },
          (error: unknown) => {
            runtime.logger.error(
              { err: error, journeyId: turn.journeyId, nodeId: turn.nodeId },
              'a polling trigger failed; it is tried again when next due',
            );
          },
        )
        .finally(() => {
          slots.count--;
          inFlight.delete(done);
        });
      inFlight.add(done);
    }
    if (!inFlight.size) return started;
    await Promise.race(inFlight);
  }
}

/** Queues the next look for due polls (one pending job at a time thanks to the job key). */
export async function schedulePolls(db: Kysely<Database>, delayMs = CYCLE_MS): Promise<void> {
  await sql`select graphile_worker.add_job(${POLLS_TASK}, '{}'::json,
    run_at => now() + ${delayMs} * interval '1 millisecond', job_key => ${POLLS_TASK}, max_attempts => 25)`.execute(db);
}

/**
 * The task to register as `waymark.trigger-polls`: queues the next look `CYCLE_MS` later, then
 * polls what is due. The next look runs even while a slow poll keeps this one open, and takes
 * the places left. Apart from the segment triggers' tick, so a slow source delays none of them.
 */
export function pollsTask(runtime: Runtime): Task {
  return async (_payload, helpers) => {
    await schedulePolls(runtime.db);
    try {
      await pollTriggers(runtime, helpers.abortSignal);
    } catch (error) {
      runtime.logger.error({ err: error }, 'polling triggers could not be read; trying again shortly');
    }
  };
}
