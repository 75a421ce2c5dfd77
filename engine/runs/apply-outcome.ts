import type { JsonValue } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { loadContact } from '../contacts/load.js';
import type { Database } from '../db/database.js';
import type { GraphNode } from '../graph/types.js';
import type { Runtime } from '../runtime.js';
import { addStepJobs, type StepJob } from './bookkeeping.js';
import { type StepView, seeing, watchContact } from './contact-view.js';
import { buildNodeContext, type KnownView, type RunRow, type ServiceUse, type StepRef } from './context.js';
import { invokeNode, type Outcome } from './invoke.js';
import { decide, type RetryOptions, type Transition } from './kernel/decide.js';
import { type CompiledVersion, definitionOf } from './versions.js';
import { writeSteps } from './write/write-steps.js';

export { DEFAULT_RETRY, type RetryOptions } from './kernel/decide.js';

const MAX_INLINE_DEPTH = 25;

/** One transaction's inline chain: the step that started it and what it still owes. */
export interface OutcomeBatch {
  runtime: Runtime;
  trx: Kysely<Database>;
  version: CompiledVersion;
  run: RunRow;
  retry: RetryOptions;
  /** Steps that were to run inline but did not (their node threw): they get jobs at the end. */
  jobs: StepJob[];
  /** Set once the run ended in this transaction (exit, failure): nothing more runs. */
  ended: boolean;
  /** Commit with synchronous_commit off (set by the first write). */
  asyncCommit?: boolean;
}

/** Of `next`, the nodes that run inline (in the transaction of the step before them). */
export function inlineNodes(runtime: Runtime, version: CompiledVersion, next: readonly string[]): string[] {
  return next.filter((id) => {
    const target = version.nodes.get(id);
    return target ? definitionOf(runtime.registry, target)?.inline === true : false;
  });
}

/**
 * Records one execution's outcome on its step (inside `batch.trx`) through the kernel and the
 * writer, and runs the inline nodes after it right here: a next step of an inline node runs
 * in this transaction (falling back to a job if its node throws), the others get jobs.
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
  const transition =
    decided ?? decide(version, { node, definition }, step, outcome, { now: new Date(), retry: batch.retry });
  const inline =
    transition.kind === 'complete' && depth < MAX_INLINE_DEPTH
      ? inlineNodes(batch.runtime, version, transition.next)
      : [];
  const { written, children } = await writeSteps(
    trx,
    [{ stepId: step.id, contactId: run.contactId, transition, inline }],
    { asyncCommit: batch.asyncCommit },
  );
  if (written === 0) return;
  if (transition.kind === 'fail' || (transition.kind === 'complete' && transition.end)) {
    batch.ended = true;
    return;
  }
  if (transition.kind !== 'complete') return;
  const runHere = children.filter((child) => inline.includes(child.nodeId));
  const childView = runHere.length ? await nextView(batch, step, node, transition.output, view) : undefined;
  for (const child of runHere) {
    if (batch.ended) break;
    const childNode = version.nodes.get(child.nodeId);
    const ref: StepRef = { id: child.id, nodeId: child.nodeId, parentStepId: step.id, attempts: 1, resume: null };
    if (childNode && (await runInline(batch, ref, childNode, depth, childView))) continue;
    batch.jobs.push({ stepId: child.id });
  }
}

/** Queues the jobs of the inline steps that fell back to jobs; the chain is then written. */
export async function flushOutcomes(batch: OutcomeBatch): Promise<void> {
  if (!batch.ended) await addStepJobs(batch.trx, batch.jobs);
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
  const mark = batch.jobs.length;
  const { ended } = batch;
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
    batch.jobs.length = mark;
    batch.ended = ended;
    return false;
  }
}

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
