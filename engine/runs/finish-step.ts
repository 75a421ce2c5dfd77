import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { GraphNode } from '../graph/types.js';
import type { Runtime } from '../runtime.js';
import { type CounterDelta, queueJobsFor, writeBookkeeping } from './bookkeeping.js';
import type { RunRow, StepRef } from './context.js';
import { endRunsParts } from './end-runs.js';
import type { Completion, Transition } from './kernel/decide.js';
import { completionSql } from './spawn.js';
import { type CompiledVersion, definitionOf } from './versions.js';

/** A step that parks: until a time, or until an event (or its deadline). */
export type Parked = Extract<Transition, { kind: 'park' }>;

/**
 * Parks a step in ONE statement: the step waiting, the wait row for an event, the job that
 * wakes it (at its time, or at the event's deadline), counters, token counts and the notice,
 * committed asynchronously. Writes nothing for a step cancelled meanwhile.
 */
export async function parkAlone(
  db: Kysely<Database>,
  run: RunRow,
  step: StepRef,
  node: GraphNode,
  parked: Parked,
): Promise<void> {
  const settled = sql`exists (select 1 from done)`;
  const isTime = parked.waitsFor === 'time';
  const done = {
    name: 'done',
    isSelect: false,
    body: sql`
      update steps set status = 'waiting', output = ${JSON.stringify(parked.output)}::jsonb,
        resume = ${isTime ? JSON.stringify({ kind: 'time' }) : null}::jsonb, attempts = 0, error = null,
        started_at = coalesce(started_at, now())
      where id = ${step.id} and status in ('pending', 'running')
      returning id`,
  };
  const waitRow =
    parked.wait && run.contactId
      ? [
          {
            name: 'waited',
            isSelect: false,
            body: sql`
              insert into waits (step_id, run_id, journey_id, contact_id, event_name, filter, deadline)
              select ${step.id}::uuid, ${run.id}::uuid, ${run.journeyId}::uuid, ${run.contactId}::uuid,
                ${parked.wait.event}::text, ${parked.wait.filter === null ? null : JSON.stringify(parked.wait.filter)}::jsonb,
                ${parked.wakeAt.toISOString()}::timestamptz
              where ${settled}
              on conflict (step_id) do nothing`,
          },
        ]
      : [];
  const counter = { journeyId: run.journeyId, version: run.version, nodeId: node.id };
  await writeBookkeeping(db, {
    before: [done, ...waitRow],
    guard: settled,
    counters: [{ ...counter, waiting: 1 }],
    jobs: [{ stepId: step.id, runAt: parked.wakeAt, timeout: !isTime }],
    notices: [{ ...counter, runId: run.id, status: 'waiting' }],
    run: { id: run.id, open: 0, waiting: 1 },
    asyncCommit: true,
  });
}

/**
 * Records a step that took its outputs towards steps that all run as jobs (or ended its run
 * at `core.exit`) in ONE statement: its completion, the next steps and their jobs (or the
 * run's end), counters, token counts and the live-feed notice, committed asynchronously (see
 * `ASYNC_COMMIT`). Returns false, writing nothing, when the step needs the transaction path:
 * an output the node may not take, or an inline node next, which runs in that transaction.
 */
export async function finishAlone(
  runtime: Runtime,
  db: Kysely<Database>,
  version: CompiledVersion,
  run: RunRow,
  step: StepRef,
  node: GraphNode,
  transition: Completion,
): Promise<boolean> {
  const targets = transition.next;
  const inlineNext = targets.some((id) => {
    const target = version.nodes.get(id);
    return target ? definitionOf(runtime.registry, target)?.inline === true : false;
  });
  if (inlineNext) return false;

  const settled = sql`exists (select 1 from done)`;
  const counter = { journeyId: run.journeyId, version: run.version, nodeId: node.id };
  const counters: CounterDelta[] = transition.counters.map((delta) => ({ ...counter, ...delta }));
  const done = {
    name: 'done',
    isSelect: false,
    body: completionSql(step.id, transition),
  };
  const next = targets.map((nodeId) => ({ nodeId }));
  const after = transition.end
    ? endRunsParts([sql`id = ${run.id}`, settled], transition.end.status, {
        outcome: transition.end.goal,
        exceptStepId: step.id,
      })
    : [
        {
          name: 'spawned',
          isSelect: false,
          body: sql`
            insert into steps (run_id, journey_id, version, node_id, parent_step_id)
            select ${run.id}::uuid, ${run.journeyId}::uuid, ${run.version}::int, n."nodeId", ${step.id}::uuid
            from json_to_recordset(${JSON.stringify(next)}::json) as n("nodeId" text)
            where ${settled}
            on conflict (parent_step_id, node_id) where parent_step_id is not null do nothing
            returning id`,
        },
        { name: 'queued_next', isSelect: true, body: queueJobsFor(sql`spawned`) },
      ];
  await writeBookkeeping(db, {
    before: [done, ...after],
    guard: settled,
    counters,
    jobs: [],
    notices: [{ ...counter, runId: run.id, status: 'completed' }],
    // An exit ended the run; otherwise this token became one per step spawned.
    run: transition.end
      ? undefined
      : { id: run.id, open: sql<number>`((select count(*) from spawned)::int - 1)`, waiting: 0 },
    asyncCommit: true,
  });
  return true;
}
