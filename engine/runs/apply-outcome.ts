import { outputsOf } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { GraphNode } from '../graph/types.js';
import type { Runtime } from '../runtime.js';
import {
  addStepJobs,
  adjustRun,
  bumpCounters,
  type CounterDelta,
  notifySteps,
  type StepJob,
  type StepNotice,
} from './bookkeeping.js';
import { buildNodeContext, type RunRow, type StepRef } from './context.js';
import { endRuns } from './end-runs.js';
import { DEFAULT_MAX_ATTEMPTS, invokeNode, type Outcome } from './invoke.js';
import { spawnSteps } from './spawn.js';
import { type CompiledVersion, definitionOf, paramsWithDefaults, targetsOf } from './versions.js';

/** How failing steps are retried. */
export interface RetryOptions {
  /** Delay before the second attempt; doubles each attempt. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { retryBaseMs: 1000, retryMaxMs: 10 * 60_000 };
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
): Promise<void> {
  const { trx, run, version } = batch;
  const definition = definitionOf(batch.runtime.registry, node);
  const counter = { journeyId: run.journeyId, version: run.version, nodeId: node.id };
  if (outcome.kind === 'next' && definition) {
    const allowed = outputsOf(definition, paramsWithDefaults(definition, node.params));
    const unknown = outcome.outputs.filter((o) => !allowed.includes(o));
    if (unknown.length) {
      outcome = {
        kind: 'error',
        retryable: false,
        error: { message: `the node returned unknown output(s) ${unknown.join(', ')}`, code: 'invalid_result' },
      };
    }
  }

  if (outcome.kind === 'next') {
    await trx
      .updateTable('steps')
      .set({
        status: 'completed',
        output: JSON.stringify(outcome.output),
        outputs_taken: outcome.outputs,
        error: null,
        resume: null,
        finished_at: sql`now()`,
      })
      .where('id', '=', step.id)
      .execute();
    batch.counters.push({ ...counter, completed: 1 });
    for (const output of outcome.outputs) batch.counters.push({ ...counter, output, taken: 1 });
    notice(batch, node.id, 'completed');
    if (node.type === 'core.exit') {
      const goal = (outcome.output as { goal?: unknown } | null)?.goal ?? node.params?.goal;
      await endRuns(trx, { runIds: [run.id] }, 'completed', {
        outcome: typeof goal === 'string' ? goal : null,
        exceptStepId: step.id,
      });
      batch.ended = true;
      return;
    }
    const children = await spawnSteps(
      trx,
      outcome.outputs.flatMap((output) =>
        targetsOf(version, node.id, output).map((target) => ({
          runId: run.id,
          journeyId: run.journeyId,
          version: run.version,
          parentStepId: step.id,
          nodeId: target,
        })),
      ),
    );
    batch.open += children.length - 1;
    for (const child of children) {
      if (batch.ended) break;
      batch.counters.push({ journeyId: run.journeyId, version: run.version, nodeId: child.nodeId, entered: 1 });
      const childNode = version.nodes.get(child.nodeId);
      const childDefinition = childNode && definitionOf(batch.runtime.registry, childNode);
      const ref: StepRef = { id: child.id, nodeId: child.nodeId, parentStepId: step.id, attempts: 1, resume: null };
      if (
        childNode &&
        childDefinition?.inline &&
        depth < MAX_INLINE_DEPTH &&
        (await runInline(batch, ref, childNode, depth))
      )
        continue;
      batch.jobs.push({ stepId: child.id });
    }
    return;
  }

  if (outcome.kind === 'wait-time' || outcome.kind === 'wait-event') {
    const isTime = outcome.kind === 'wait-time';
    await trx
      .updateTable('steps')
      .set({
        status: 'waiting',
        output: JSON.stringify(outcome.output),
        resume: isTime ? JSON.stringify({ kind: 'time' }) : null,
        attempts: 0,
        error: null,
      })
      .where('id', '=', step.id)
      .execute();
    if (outcome.kind === 'wait-event' && run.contactId) {
      await trx
        .insertInto('waits')
        .values({
          step_id: step.id,
          run_id: run.id,
          journey_id: run.journeyId,
          contact_id: run.contactId,
          event_name: outcome.event,
          filter: outcome.filter === null ? null : JSON.stringify(outcome.filter),
          deadline: outcome.timeoutAt,
        })
        .onConflict((oc) => oc.column('step_id').doNothing())
        .execute();
    }
    batch.jobs.push(
      outcome.kind === 'wait-time'
        ? { stepId: step.id, runAt: outcome.until }
        : { stepId: step.id, runAt: outcome.timeoutAt, timeout: true },
    );
    batch.waiting += 1;
    batch.counters.push({ ...counter, waiting: 1 });
    notice(batch, node.id, 'waiting');
    return;
  }

  const maxAttempts = definition?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (outcome.retryable && step.attempts < maxAttempts) {
    const delay = Math.min(batch.retry.retryBaseMs * 2 ** (step.attempts - 1), batch.retry.retryMaxMs);
    await trx
      .updateTable('steps')
      .set({ status: 'pending', error: JSON.stringify(outcome.error) })
      .where('id', '=', step.id)
      .execute();
    batch.jobs.push({ stepId: step.id, runAt: new Date(Date.now() + delay) });
    return;
  }
  await trx
    .updateTable('steps')
    .set({ status: 'failed', error: JSON.stringify(outcome.error), finished_at: sql`now()` })
    .where('id', '=', step.id)
    .execute();
  batch.counters.push({ ...counter, failed: 1 });
  notice(batch, node.id, 'failed');
  await endRuns(trx, { runIds: [run.id] }, 'failed', { exceptStepId: step.id });
  batch.ended = true;
}

/**
 * Runs an inline node inside the transaction, under a savepoint: if it throws (or the
 * database refuses what it did) the savepoint is rolled back and the step gets a job instead.
 */
async function runInline(batch: OutcomeBatch, step: StepRef, node: GraphNode, depth: number): Promise<boolean> {
  const { trx } = batch;
  const definition = definitionOf(batch.runtime.registry, node);
  if (!definition) return false;
  const savepoint = sql.raw(`inline_${depth}`);
  const mark = { notices: batch.notices.length, counters: batch.counters.length, jobs: batch.jobs.length };
  const { open, waiting, ended } = batch;
  await sql`savepoint ${savepoint}`.execute(trx);
  try {
    await trx
      .updateTable('steps')
      .set({ status: 'running', attempts: 1, started_at: sql`now()` })
      .where('id', '=', step.id)
      .execute();
    const outcome = await invokeNode(definition, (signal) =>
      buildNodeContext({ runtime: batch.runtime, db: trx, run: batch.run, step, node, definition, signal }),
    );
    if (outcome.kind === 'error') throw new Error(outcome.error.message);
    await applyOutcome(batch, step, node, outcome, depth + 1);
    await sql`release savepoint ${savepoint}`.execute(trx);
    return true;
  } catch {
    await sql`rollback to savepoint ${savepoint}`.execute(trx);
    batch.notices.length = mark.notices;
    batch.counters.length = mark.counters;
    batch.jobs.length = mark.jobs;
    Object.assign(batch, { open, waiting, ended });
    return false;
  }
}

/** Writes what a batch collected: counters, jobs, the run's token counts and the live-feed notices. */
export async function flushOutcomes(batch: OutcomeBatch): Promise<void> {
  await bumpCounters(batch.trx, batch.counters);
  await addStepJobs(batch.trx, batch.jobs);
  if (batch.open !== 0 || batch.waiting !== 0) await adjustRun(batch.trx, batch.run.id, batch.open, batch.waiting);
  await notifySteps(batch.trx, batch.notices);
}
