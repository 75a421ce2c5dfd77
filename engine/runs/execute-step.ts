import type { JsonObject, Resume } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { contactFromJson, contactJsonSql } from '../contacts/load.js';
import { ASYNC_COMMIT } from '../db/commit-mode.js';
import type { Database } from '../db/database.js';
import type { Runtime } from '../runtime.js';
import { applyOutcome, flushOutcomes, inlineNodes, type OutcomeBatch, type RetryOptions } from './apply-outcome.js';
import { type StepView, seeing, watchContact } from './contact-view.js';
import { buildNodeContext, pathFromJson, pathJsonSql, type RunRow, type ServiceUse, type StepRef } from './context.js';
import { invokeNode, type Outcome } from './invoke.js';
import { decide, fail } from './kernel/decide.js';
import { definitionOf, loadVersion } from './versions.js';
import { writeSteps } from './write/write-steps.js';

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
  /** The run's contact and the token's path, read in the same statement. */
  contact: unknown;
  path: unknown;
}

/**
 * Marks a step running (attempt + 1) if it may run now: queued, interrupted by a crash, or
 * parked with a resume set. A step that was parked leaves the waiting counts in the same
 * statement, which also reads the run's contact and the token's path for `ctx`. Null when there is nothing to do (finished, cancelled, still parked). Committed
 * asynchronously: if the mark is lost in a crash, the job (completed only after it, with a
 * synchronous commit) runs the step again.
 */
async function startStep(db: Kysely<Database>, stepId: string): Promise<StartedStep | null> {
  const { rows } = await sql<StartedStep>`
    with commit_mode as (select ${ASYNC_COMMIT}),
    prev as (select id, status from steps where id = ${stepId} for update),
    started as (
      update steps s set status = 'running', attempts = s.attempts + 1, started_at = coalesce(s.started_at, now())
      from prev
      where s.id = prev.id
        and (prev.status in ('pending', 'running') or (prev.status = 'waiting' and s.resume is not null))
      returning s.*, prev.status as was
    ),
    unparked as (
      select waymark_move_runs(json_build_array(json_build_object('runId', run_id, 'open', 0, 'waiting', -1))),
        waymark_add_counters(json_build_array(json_build_object('journeyId', journey_id, 'version', version,
          'nodeId', node_id, 'waiting', -1)))
      from started where was = 'waiting'
    )
    select st.id, st.run_id, st.journey_id, st.version, st.node_id, st.parent_step_id, st.attempts, st.resume,
      st.was, r.contact_id, r.trigger, r.trigger_node_id, r.started_at as run_started_at,
      ${contactJsonSql(sql`r.contact_id`)} as contact, ${pathJsonSql(sql`st.parent_step_id`)} as path,
      (select count(*) from commit_mode) as mode, (select count(*) from unparked) as unparked
    from started st join runs r on r.id = st.run_id
  `.execute(db);
  return rows[0] ?? null;
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
  const known = { contact: contactFromJson(started.contact), steps: pathFromJson(run, started.path) };
  let outcome: Outcome;
  const view: StepView = { contact: null, steps: {}, contactChanged: false };
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
    const onServiceUse: ServiceUse = async (service, method, args) => watchContact(view, service, method, args);
    outcome = await invokeNode(definition, async (signal) =>
      seeing(view, await buildNodeContext({ runtime, db, run, step, node, definition, signal, known, onServiceUse })),
    );
  }
  const transition = version
    ? decide(version, node ? { node, definition } : null, step, outcome, { now: new Date(), retry })
    : fail(step.nodeId, { message: `journey ${run.journeyId} has no version ${run.version}`, code: 'unknown_node' });
  const inlineNext = version && transition.kind === 'complete' ? inlineNodes(runtime, version, transition.next) : [];
  if (!version || !node || inlineNext.length === 0) {
    // One statement: the step, what follows it and every count (committed asynchronously).
    await writeSteps(db, [{ stepId: step.id, contactId: run.contactId, transition }], { asyncCommit: true });
    return;
  }
  // Inline nodes next: they run in this transaction, each recorded as it goes.
  await db.transaction().execute(async (trx) => {
    const batch: OutcomeBatch = { runtime, trx, version, run, retry, jobs: [], ended: false, asyncCommit: true };
    await applyOutcome(batch, step, node, outcome, 0, definition ? view : null, transition);
    await flushOutcomes(batch);
  });
}
