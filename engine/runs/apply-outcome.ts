import type { JsonValue } from '@waymark/sdk';
import { type Kysely, sql, type UpdateObject } from 'kysely';
import { loadContact } from '../contacts/load.js';
import type { Database } from '../db/database.js';
import type { GraphNode } from '../graph/types.js';
import type { Runtime } from '../runtime.js';
import { type CounterDelta, type StepJob, type StepNotice, writeBookkeeping } from './bookkeeping.js';
import { type StepView, seeing, watchContact } from './contact-view.js';
import { buildNodeContext, type KnownView, type RunRow, type ServiceUse, type StepRef } from './context.js';
import { endRuns } from './end-runs.js';
import { invokeNode, type Outcome } from './invoke.js';
import { decide, type RetryOptions, type Transition } from './kernel/decide.js';
import { completeAndSpawn } from './spawn.js';
import { type CompiledVersion, definitionOf } from './versions.js';

export { DEFAULT_RETRY, type RetryOptions } from './kernel/decide.js';

const MAX_INLINE_DEPTH = 25;

/** One transaction's work: what it changed, collected and written set-based in `flushOutcomes`. */
export interface OutcomeBatch {
  runtime: Runtime;
  trx: Kysely<Database>;
  version: CompiledVersion;
  run: RunRow;
  retry: RetryOptions;
  notices: StepNotice[];
  counters: CounterDelta[];
  jobs: StepJob[];
  open: number;
  waiting: number;
  /** Set once the run ended in this transaction (exit, failure): nothing more runs. */
  ended: boolean;
}

function notice(batch: OutcomeBatch, nodeId: string, status: StepNotice['status']) {
  const { run } = batch;
  batch.notices.push({ journeyId: run.journeyId, version: run.version, runId: run.id, nodeId, status });
}

/**
 * Records one execution's outcome on its step (inside `batch.trx`) and moves the token on:
 * next steps for each target of each output taken (inline nodes run right here, the rest
 * get jobs), a parked wait, a retry with backoff, or a failure that ends the run.
 */
export async function applyOutcome(
  batch: OutcomeBatch,
  step: StepRef,
  node: GraphNode,
  outcome: Outcome,
  depth = 0,
  view: StepView | null = null,
  decided?: Transition,
): Promise<void> {
  const { trx, run, version } = batch;
  const definition = definitionOf(batch.runtime.registry, node);
  const counter = { journeyId: run.journeyId, version: run.version };
  const transition =
    decided ?? decide(version, { node, definition }, step, outcome, { now: new Date(), retry: batch.retry });
  const count = () => {
    for (const delta of transition.counters) batch.counters.push({ ...counter, ...delta });
  };

  if (transition.kind === 'complete') {
    const next = transition.next.map((target) => ({
      runId: run.id,
      journeyId: run.journeyId,
      version: run.version,
      parentStepId: step.id,
      nodeId: target,
    }));
    const { settled, children } = await completeAndSpawn(trx, step.id, transition, next);
    if (!settled) return;
    // `entered` is counted per child actually created (a repeated fan-out creates none).
    const own = transition.counters.slice(0, transition.counters.length - transition.next.length);
    for (const delta of own) batch.counters.push({ ...counter, ...delta });
    notice(batch, node.id, 'completed');
    if (transition.end) {
      await endRuns(trx, { runIds: [run.id] }, transition.end.status, {
        outcome: transition.end.goal,
        exceptStepId: step.id,
      });
      batch.ended = true;
      return;
    }
    batch.open += children.length - 1;
    const childView = children.length ? await nextView(batch, step, node, transition.output, view) : undefined;
    for (const child of children) {
      if (batch.ended) break;
      batch.counters.push({ ...counter, nodeId: child.nodeId, entered: 1 });
      const childNode = version.nodes.get(child.nodeId);
      const childDefinition = childNode && definitionOf(batch.runtime.registry, childNode);
      const ref: StepRef = { id: child.id, nodeId: child.nodeId, parentStepId: step.id, attempts: 1, resume: null };
      if (
        childNode &&
        childDefinition?.inline &&
        depth < MAX_INLINE_DEPTH &&
        (await runInline(batch, ref, childNode, depth, childView))
      )
        continue;
      batch.jobs.push({ stepId: child.id });
    }
    return;
  }

  if (transition.kind === 'park') {
    const settled = await settle(trx, step.id, {
      status: 'waiting',
      output: JSON.stringify(transition.output),
      resume: transition.waitsFor === 'time' ? JSON.stringify({ kind: 'time' }) : null,
      attempts: 0,
      error: null,
      started_at: sql`coalesce(started_at, now())`,
    });
    if (!settled) return;
    if (transition.wait && run.contactId) {
      await trx
        .insertInto('waits')
        .values({
          step_id: step.id,
          run_id: run.id,
          journey_id: run.journeyId,
          contact_id: run.contactId,
          event_name: transition.wait.event,
          filter: transition.wait.filter === null ? null : JSON.stringify(transition.wait.filter),
          deadline: transition.wakeAt,
        })
        .onConflict((oc) => oc.column('step_id').doNothing())
        .execute();
    }
    batch.jobs.push({ stepId: step.id, runAt: transition.wakeAt, timeout: transition.waitsFor === 'event' });
    batch.waiting += transition.run.waiting;
    count();
    notice(batch, node.id, 'waiting');
    return;
  }

  if (transition.kind === 'retry') {
    if (!(await settle(trx, step.id, { status: 'pending', error: JSON.stringify(transition.error) }))) return;
    batch.jobs.push({ stepId: step.id, runAt: transition.at });
    return;
  }
  if (
    !(await settle(trx, step.id, {
      status: 'failed',
      error: JSON.stringify(transition.error),
      finished_at: sql`now()`,
    }))
  )
    return;
  count();
  notice(batch, node.id, 'failed');
  await endRuns(trx, { runIds: [run.id] }, transition.end.status, { exceptStepId: step.id });
  batch.ended = true;
}

/**
 * Runs an inline node inside the transaction. Its first service call takes a savepoint: if
 * the node then throws, what it wrote is rolled back, and the step gets a job instead (a
 * node that throws before touching a service wrote nothing to roll back).
 */
async function runInline(
  batch: OutcomeBatch,
  step: StepRef,
  node: GraphNode,
  depth: number,
  known: KnownView | undefined,
): Promise<boolean> {
  const { trx } = batch;
  const definition = definitionOf(batch.runtime.registry, node);
  if (!definition) return false;
  const savepointName = sql.raw(`inline_${depth}`);
  const mark = { notices: batch.notices.length, counters: batch.counters.length, jobs: batch.jobs.length };
  const { open, waiting, ended } = batch;
  let savepoint: Promise<unknown> | null = null;
  const view: StepView = { contact: null, steps: {}, contactChanged: false };
  const onServiceUse: ServiceUse = async (service, method, args) => {
    savepoint ??= sql`savepoint ${savepointName}`.execute(trx);
    await savepoint;
    return watchContact(view, service, method, args);
  };
  try {
    const outcome = await invokeNode(definition, async (signal) =>
      seeing(
        view,
        await buildNodeContext({
          runtime: batch.runtime,
          db: trx,
          run: batch.run,
          step,
          node,
          definition,
          signal,
          known,
          onServiceUse,
        }),
      ),
    );
    if (outcome.kind === 'error') throw new Error(outcome.error.message);
    await applyOutcome(batch, step, node, outcome, depth + 1, view);
    return true;
  } catch {
    if (savepoint) await sql`rollback to savepoint ${savepointName}`.execute(trx);
    batch.notices.length = mark.notices;
    batch.counters.length = mark.counters;
    batch.jobs.length = mark.jobs;
    Object.assign(batch, { open, waiting, ended });
    return false;
  }
}

/** Notes in `view` what the step's `ctx` shows; returns the ctx. */
/**
 * The contact and path outputs the steps after `step` see, derived in memory from what it
 * saw; undefined (read them from the database) when that is not known.
 */
async function nextView(
  batch: OutcomeBatch,
  step: StepRef,
  node: GraphNode,
  output: JsonValue,
  view: StepView | null,
): Promise<KnownView | undefined> {
  if (!view) return undefined;
  // The trigger step keeps no copy of the payload: its output is the run's trigger.
  const steps = { ...view.steps, [node.id]: { output: step.parentStepId === null ? batch.run.trigger : output } };
  const contact =
    view.contactChanged && batch.run.contactId ? await loadContact(batch.trx, batch.run.contactId) : view.contact;
  return { contact, steps };
}

/** Records a step's result while the step is still live; false when it was cancelled meanwhile. */
async function settle(trx: Kysely<Database>, stepId: string, set: UpdateObject<Database, 'steps'>): Promise<boolean> {
  const row = await trx
    .updateTable('steps')
    .set(set)
    .where('id', '=', stepId)
    .where('status', 'in', ['pending', 'running'])
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Writes what a batch collected: counters, jobs, the run's token counts and the live-feed notices. */
export async function flushOutcomes(batch: OutcomeBatch, options: { asyncCommit?: boolean } = {}): Promise<void> {
  await writeBookkeeping(batch.trx, {
    counters: batch.counters,
    jobs: batch.jobs,
    notices: batch.notices,
    run: { id: batch.run.id, open: batch.open, waiting: batch.waiting },
    asyncCommit: options.asyncCommit,
  });
}
