import type { JsonObject, Resume } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { Runtime } from '../runtime.js';
import { applyOutcome, flushOutcomes, type OutcomeBatch, type RetryOptions } from './apply-outcome.js';
import { adjustRun, bumpCounters } from './bookkeeping.js';
import { buildNodeContext, type RunRow, type StepRef } from './context.js';
import { endRuns } from './end-runs.js';
import { invokeNode, type Outcome } from './invoke.js';
import { definitionOf, loadVersion } from './versions.js';

interface StartedStep {
  id: string;
  run_id: string;
  journey_id: string;
  version: number;
  node_id: string;
  parent_step_id: string | null;
  attempts: number;
  resume: Resume | null;
  was: string;
  contact_id: string | null;
  trigger: JsonObject;
  trigger_node_id: string;
  run_started_at: Date;
}

/**
 * Marks a step running (attempt + 1) if it may run now: queued, interrupted by a crash, or
 * parked with a resume set. A step that was parked leaves the waiting counts in the same
 * transaction. Null when there is nothing to do (finished, cancelled, still parked).
 */
async function startStep(db: Kysely<Database>, stepId: string): Promise<StartedStep | null> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<StartedStep>`
      with prev as (select id, status from steps where id = ${stepId} for update),
      started as (
        update steps s set status = 'running', attempts = s.attempts + 1, started_at = coalesce(s.started_at, now())
        from prev
        where s.id = prev.id
          and (prev.status in ('pending', 'running') or (prev.status = 'waiting' and s.resume is not null))
        returning s.*, prev.status as was
      )
      select st.id, st.run_id, st.journey_id, st.version, st.node_id, st.parent_step_id, st.attempts, st.resume,
        st.was, r.contact_id, r.trigger, r.trigger_node_id, r.started_at as run_started_at
      from started st join runs r on r.id = st.run_id
    `.execute(trx);
    const step = rows[0];
    if (!step) return null;
    if (step.was === 'waiting') {
      await adjustRun(trx, step.run_id, 0, -1);
      await bumpCounters(trx, [
        { journeyId: step.journey_id, version: step.version, nodeId: step.node_id, waiting: -1 },
      ]);
    }
    return step;
  });
}

/** An event wait's deadline passed: resume with `timeout` unless an event got there first. */
async function claimTimeout(db: Kysely<Database>, stepId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const claimed = await trx
      .updateTable('steps')
      .set({ resume: JSON.stringify({ kind: 'timeout' }) })
      .where('id', '=', stepId)
      .where('status', '=', 'waiting')
      .where('resume', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (claimed) await trx.deleteFrom('waits').where('step_id', '=', stepId).execute();
    return Boolean(claimed);
  });
}

/**
 * The `waymark.step` task: runs one step of one token and, in ONE transaction, records its
 * outcome, creates the next steps and queues their jobs. Safe to repeat: a finished or
 * cancelled step does nothing, and the outcome is kept only while the step is still ours.
 */
export async function executeStep(
  runtime: Runtime,
  payload: { stepId: string; timeout?: boolean },
  retry: RetryOptions,
): Promise<void> {
  const { db } = runtime;
  if (payload.timeout && !(await claimTimeout(db, payload.stepId))) return;
  const started = await startStep(db, payload.stepId);
  if (!started) return;
  const run: RunRow = {
    id: started.run_id,
    journeyId: started.journey_id,
    version: started.version,
    contactId: started.contact_id,
    trigger: started.trigger,
    triggerNodeId: started.trigger_node_id,
    startedAt: new Date(started.run_started_at).toISOString(),
  };
  const step: StepRef = {
    id: started.id,
    nodeId: started.node_id,
    parentStepId: started.parent_step_id,
    attempts: started.attempts,
    resume: started.resume,
  };
  const version = await loadVersion(db, run.journeyId, run.version);
  const node = version?.nodes.get(step.nodeId);
  const definition = node ? definitionOf(runtime.registry, node) : null;
  let outcome: Outcome;
  if (!version || !node) {
    outcome = {
      kind: 'error',
      retryable: false,
      error: { message: `node ${step.nodeId} is not in the journey version` },
    };
  } else if (!definition) {
    outcome = {
      kind: 'error',
      retryable: false,
      error: { message: `node type ${node.type}@${node.version} is not installed`, code: 'unknown_node_type' },
    };
  } else {
    outcome = await invokeNode(definition, (signal) =>
      buildNodeContext({ runtime, db, run, step, node, definition, signal }),
    );
  }
  await db.transaction().execute(async (trx) => {
    // The step may have been cancelled (exit, cancel) or finished by a second runner meanwhile.
    const mine = await trx
      .selectFrom('steps')
      .select('status')
      .where('id', '=', step.id)
      .forUpdate()
      .executeTakeFirst();
    if (mine?.status !== 'running') return;
    if (!version || !node) {
      await trx
        .updateTable('steps')
        .set({
          status: 'failed',
          error: JSON.stringify(outcome.kind === 'error' ? outcome.error : {}),
          finished_at: sql`now()`,
        })
        .where('id', '=', step.id)
        .execute();
      await endRuns(trx, { runIds: [run.id] }, 'failed', { exceptStepId: step.id });
      return;
    }
    const batch: OutcomeBatch = {
      runtime,
      trx,
      version,
      run,
      retry,
      notices: [],
      counters: [],
      jobs: [],
      open: 0,
      waiting: 0,
      ended: false,
    };
    await applyOutcome(batch, step, node, outcome);
    await flushOutcomes(batch);
  });
}
