import { type JsonObject, type JsonValue, type PollContext, type PollResult, parseDuration } from '@waymark/sdk';
import type { Task } from 'graphile-worker';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import type { GraphNode } from '../../graph/types.js';
import { createHttpClient } from '../../http/client.js';
import type { Runtime } from '../../runtime.js';
import { paramsHash } from '../../segments/tick.js';
import { DEFAULT_TIMEOUT_MS } from '../node/invoke.js';
import { loadVersion } from '../versions.js';
import { triggerContext } from './context.js';
import { TriggerFailedError } from './errors.js';
import {
  CLAIM_LEASE_MS,
  type ClaimedPoll,
  claimDue,
  findPolls,
  giveBackTurn,
  MINIMUM_EVERY_MS,
  startTurn,
} from './poll-due.js';
import { JourneyMovedOnError, type PollingNode, startItems } from './poll-items.js';
import { contactProblem, isPayload } from './starts.js';

/** The graphile-worker task that calls the polling triggers that are due; it re-adds itself. */
export const POLLS_TASK = 'waymark.trigger-polls';
/** How often the task looks for polls that are due. */
const CYCLE_MS = 5_000;
const DEFAULT_EVERY = 'PT5M';
const DEFAULT_EVERY_MS = 300_000;
/** How many polls run at once in one process: a slow source takes one place, never all. */
export const POLL_CONCURRENCY = 4;
const KEY_MAX = 1_000;

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

/** The turn's package is not loaded in this process (yet): its turn is given back, due the default interval later. */
class NotLoadedHereError extends Error {}

/**
 * Polls a claimed turn's trigger and starts the runs of what it found; how many started.
 * Whatever fails once the turn is taken (reading its node, starting the turn, the poll, the
 * final write; the database away a moment) gives the turn back, retried while its lease lasts
 * (`giveBackTurn`): it is next due `every` after it was taken (`PT5M` when `every` itself
 * failed, or the node is not known here), rather than after its lease (minutes). Throws what
 * failed once the turn is given back.
 */
async function pollOne(runtime: Runtime, turn: ClaimedPoll, signal?: AbortSignal): Promise<number> {
  const after = (ms: number) => new Date(turn.claimedAt.getTime() + ms);
  // Until the node's limit and `every` are known: the claim's lease, the default interval.
  let leaseMs = CLAIM_LEASE_MS;
  let nextAt = after(DEFAULT_EVERY_MS);
  try {
    const p = await pollingNode(runtime, turn);
    if (!p) throw new NotLoadedHereError();
    const limitMs = p.definition.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const every = async () => after(await within(limitMs, p, () => intervalOf(p)));
    const hash = paramsHash(p.node.type, p.node.params ?? {});
    // `every` and `run` each within the limit, and the commit after them.
    const turnLeaseMs = 2 * limitMs + CLAIM_LEASE_MS;
    const started = await startTurn(runtime.db, turn, turnLeaseMs, hash).catch(async (error: unknown) => {
      // A turn that could not start is next due by its `every` all the same (asked now).
      nextAt = await every().catch(() => nextAt);
      throw error;
    });
    if (!started) return 0;
    leaseMs = turnLeaseMs;
    const state = turn.paramsHash === hash ? turn.state : null;
    nextAt = await every();
    const value = await within(limitMs, p, () => callPoll(runtime, p, state));
    const found = await startItems(runtime, p, value, nextAt);
    // Each run's trigger step completed here, counted once committed (API.md "Metrics").
    if (found) runtime.metrics.triggered(p.node.type, found);
    return found ?? 0;
  } catch (error) {
    await giveBackTurn(runtime.db, turn, nextAt, { leaseEnd: after(leaseMs), now: () => runtime.clock.now(), signal });
    if (error instanceof JourneyMovedOnError || error instanceof NotLoadedHereError) return 0;
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
