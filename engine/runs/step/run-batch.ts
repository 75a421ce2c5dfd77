import type { Kysely } from 'kysely';
import { loadRunContacts } from '../../contacts/load.js';
import type { Database } from '../../db/database.js';
import type { Runtime } from '../../runtime.js';
import { STEP_BATCH_SIZE } from '../bookkeeping.js';
import type { RetryOptions } from '../kernel/decide.js';
import type { RunRow, StepRef } from '../node/context.js';
import { loadPaths, pathFromRows } from '../node/path.js';
import { type CompiledVersion, definitionOf, loadVersion } from '../versions.js';
import { type StepWrite, writeSteps } from '../write/write-steps.js';
import { isInline, runToken } from './chain.js';
import { needsView } from './needs-view.js';
import { claimTimeouts, markSteps, type StartedStep, startSteps } from './start-steps.js';
import { createStepBatch } from './step-batch.js';
import { stillRunning } from './still-running.js';
import { BatchTelemetry } from './telemetry.js';

/** One token a step job carries: its step, and whether it wakes an event wait at its deadline. */
export interface BatchItem {
  stepId: string;
  timeout?: boolean;
}

export interface BatchOptions {
  /** Told, once the batch is written, when the tokens it parked or set to retry fall due. */
  onWakeUps?: (times: Date[]) => void;
}

/**
 * Tokens of one batch running their node at once when the node does not say (`concurrency`):
 * an I/O node waits on the network, not the CPU. An inline node runs the whole batch at once.
 */
export const BATCH_CONCURRENCY = 32;

/** Runs `work` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

function runOf(started: StartedStep): RunRow {
  return {
    id: started.run_id,
    workspaceId: started.workspace_id,
    journeyId: started.journey_id,
    version: started.version,
    contactId: started.contact_id,
    trigger: started.trigger,
    triggerNodeId: started.trigger_node_id,
    startedAt: started.run_started_at,
  };
}

/** A batch started: the steps that run and their journey versions. */
interface StartedBatch {
  started: StartedStep[];
  versions: Map<string, CompiledVersion>;
  /** The steps of nodes that call out (not `inline`), marked running: none for an inline batch. */
  calling: string[];
}

/**
 * The `waymark.step` task: runs a batch of tokens. ONE statement starts every step that may
 * run; each token's node runs (at most `BATCH_CONCURRENCY` at once) followed by its inline
 * chain in memory; ONE statement (`writeSteps`) records every transition, next steps and
 * jobs. Safe to repeat: finished or cancelled steps are skipped, and a step that runs again
 * keeps its id, its nodes' idempotency key.
 *
 * A batch of inline nodes is the worker's CPU and PostgreSQL's from its start to its write, so
 * it holds one of the process's `stepSlots` all along: the worker's other jobs wait before
 * their start, holding nothing, rather than with their tokens read. Twenty such batches at
 * once cost the worker a fifth to two fifths more CPU a step than four: their tokens were
 * alive through every young collection. A batch that calls out holds a slot for its start
 * only: its nodes wait on the network, and as many run at once as the worker's concurrency
 * allows.
 */
export async function runBatch(
  runtime: Runtime,
  items: readonly BatchItem[],
  retry: RetryOptions,
  options: BatchOptions = {},
): Promise<void> {
  const calling = await runtime.stepSlots(async () => {
    const batch = await startBatch(runtime, items);
    if (batch.calling.length) return batch;
    await completeBatch(runtime, batch, retry, options);
    return null;
  });
  if (calling) await completeBatch(runtime, calling, retry, options);
}

/** Starts what of `items` may run (timeouts claimed first), marking the steps of nodes that call out. */
async function startBatch(runtime: Runtime, items: readonly BatchItem[]): Promise<StartedBatch> {
  // The kernel's statements on its own pool; the nodes' services on the main one (a send holds
  // its transaction while it decides, and a node may wait on anything).
  const kernel = runtime.stepDb;
  const timeouts = items.filter((i) => i.timeout).map((i) => i.stepId);
  const claimed = new Set(await claimTimeouts(kernel, timeouts));
  const ids = items.filter((i) => !i.timeout || claimed.has(i.stepId)).map((i) => i.stepId);
  const read = await startSteps(kernel, ids);
  const versions = await versionsOf(kernel, read);
  return markCalling(runtime, kernel, read, versions);
}

/** Runs a started batch's tokens and their inline chains, and writes them all at once. */
async function completeBatch(
  runtime: Runtime,
  { started, versions, calling }: StartedBatch,
  retry: RetryOptions,
  options: BatchOptions,
): Promise<void> {
  const kernel = runtime.stepDb;
  const telemetry = new BatchTelemetry(
    runtime.metrics,
    runtime.logger,
    new Map(started.map((row) => [row.run_id, row.trace_context])),
  );
  const batch = createStepBatch(runtime.db, kernel);
  const { contacts, paths } = await viewsOf(runtime.registry, kernel, started, versions);
  const writes: StepWrite[] = [];
  const called = new Set(calling);
  const lanes = concurrencyOf(runtime, versions, started);
  // Read ahead for the tokens that wait for a lane before their calls (a batch that fits its
  // lanes waits for none: `markSteps` has just found them live, and a lone webhook call is spared
  // a round trip before its request); after each call, for the tokens answered together.
  const beforeCall = calling.length && started.length > lanes ? stillRunning(kernel, calling) : null;
  const goesOn = calling.length ? stillRunning(kernel) : undefined;
  await eachLimited(started, lanes, async (row) => {
    // Its run ended while the token waited for a lane: cancelled with it, so no call and no write.
    // A step of an inline node (a version where the node runs inline) calls no one: not asked.
    if (beforeCall && called.has(row.id) && !(await beforeCall(row.id))) return;
    const run = runOf(row);
    const step: StepRef = {
      id: row.id,
      nodeId: row.node_id,
      parentStepId: row.parent_step_id,
      attempts: row.attempts,
      resume: row.resume,
      ...(row.idempotency_key ? { idempotencyKey: row.idempotency_key } : {}),
      // A retried token runs its node afresh (no resume) and parks until the due time it had; a
      // token woken from its wait that parks again (a send held after a 429) takes the new time.
      ...(row.wake_at && !row.resume ? { dueAt: new Date(row.wake_at) } : {}),
    };
    const version = versions.get(versionKey(row)) ?? null;
    const contact = row.contact_id ? (contacts.get(row.contact_id) ?? null) : null;
    const path = row.parent_step_id ? paths.get(row.parent_step_id) : undefined;
    const known = { contact, steps: pathFromRows(run, path) };
    const token = { runtime, db: runtime.db, version, run, step, known, retry, telemetry, batch };
    writes.push(...(await runToken(called.has(row.id) ? { ...token, goesOn } : token)));
  });
  let committed = false;
  try {
    await writeSteps(kernel, writes, { asyncCommit: true, startedAt: started[0]?.batch_started_at });
    committed = true;
  } finally {
    telemetry.finish(committed);
  }
  options.onWakeUps?.(wakeUpsOf(writes));
}

const versionKey = (row: StartedStep) => `${row.journey_id}:${row.version}`;

/**
 * How many of the batch's tokens run at once: the least its nodes allow (a job holds the steps
 * of one node, but of any journey version). Tokens running together share their services'
 * statements (the messages service sends them as one group; tag writes are one statement a
 * turn), so a whole batch at once costs the fewest: 11–16% less CPU a step in the journey and
 * sending benches than 32 at a time.
 */
function concurrencyOf(
  runtime: Runtime,
  versions: ReadonlyMap<string, CompiledVersion>,
  started: readonly StartedStep[],
): number {
  let limit = STEP_BATCH_SIZE;
  const seen = new Set<string>();
  for (const row of started) {
    const key = `${versionKey(row)}:${row.node_id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const version = versions.get(versionKey(row));
    const node = version?.nodes.get(row.node_id);
    const definition = node ? definitionOf(runtime.registry, node, version) : null;
    const declared = definition?.concurrency;
    const allowed =
      typeof declared === 'number' && Number.isInteger(declared) && declared >= 1
        ? declared
        : definition?.inline
          ? STEP_BATCH_SIZE
          : BATCH_CONCURRENCY;
    limit = Math.min(limit, allowed);
  }
  return limit;
}

/**
 * The steps a batch runs: those of inline nodes as read (the writer counts their attempt), and
 * those of nodes that call out once marked running with their attempt counted (`markSteps`),
 * so that an execution cut short by a crash, which may have made its call, counts.
 */
async function markCalling(
  runtime: Runtime,
  db: Kysely<Database>,
  read: StartedStep[],
  versions: Map<string, CompiledVersion>,
): Promise<StartedBatch> {
  const calling = new Set(
    read.filter((row) => {
      const version = versions.get(versionKey(row));
      return !(version && isInline(runtime, version, row.node_id));
    }),
  );
  if (calling.size === 0) return { started: read, versions, calling: [] };
  const marked = await markSteps(
    db,
    [...calling].map((row) => row.id),
  );
  const started = read.filter((row) => {
    if (!calling.has(row)) return true;
    const attempts = marked.get(row.id);
    if (attempts === undefined) return false;
    row.attempts = attempts;
    return true;
  });
  return { started, versions, calling: started.filter((row) => calling.has(row)).map((row) => row.id) };
}

/** The journey versions a batch's steps run on, by `versionKey` (a missing one: absent). */
async function versionsOf(
  db: Kysely<Database>,
  started: readonly StartedStep[],
): Promise<Map<string, CompiledVersion>> {
  const versions = new Map<string, CompiledVersion>();
  for (const row of started) {
    const key = versionKey(row);
    if (versions.has(key)) continue;
    const version = await loadVersion(db, row.journey_id, row.version);
    if (version) versions.set(key, version);
  }
  return versions;
}

/**
 * What the batch's steps read of their runs (`needsView`), one query each: the contacts, and
 * the paths by parent step. A wait or an exit reads neither.
 */
async function viewsOf(
  registry: Runtime['registry'],
  db: Kysely<Database>,
  started: readonly StartedStep[],
  versions: ReadonlyMap<string, CompiledVersion>,
) {
  const contactIds = new Set<string>();
  const leaves = new Set<string>();
  for (const row of started) {
    const needs = needsView(registry, versions.get(versionKey(row)) ?? null, row.node_id);
    if (needs.contact && row.contact_id) contactIds.add(row.contact_id);
    if (needs.steps && row.parent_step_id) leaves.add(row.parent_step_id);
  }
  const [contacts, paths] = await Promise.all([loadRunContacts(db, [...contactIds]), loadPaths(db, [...leaves])]);
  return { contacts, paths };
}

/** The times tokens of a batch were parked or set to retry until. */
function wakeUpsOf(writes: readonly StepWrite[]): Date[] {
  return writes.flatMap(({ transition: t }) => (t.kind === 'park' ? [t.wakeAt] : t.kind === 'retry' ? [t.at] : []));
}
