import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/database.js';

/** A step to create: `nodeId` reached from `parentStepId`. */
export interface NewStep {
  runId: string;
  journeyId: string;
  version: number;
  parentStepId: string;
  nodeId: string;
}

/** A step created after another. */
export interface SpawnedStep {
  id: string;
  runId: string;
  nodeId: string;
  parentStepId: string;
}

/**
 * The UPDATE that completes a live step (pending or running) with its output and returns its
 * id; it returns nothing when the step was cancelled or finished meanwhile.
 */
export function completionSql(
  stepId: string,
  result: { output: unknown; outputs: readonly string[] },
): RawBuilder<unknown> {
  return sql`
    update steps set status = 'completed', output = ${JSON.stringify(result.output)}::jsonb,
      outputs_taken = ${[...result.outputs]}::text[], error = null, resume = null,
      -- an inline step goes from pending to completed in this one write
      attempts = greatest(attempts, 1), started_at = coalesce(started_at, now()), finished_at = now()
    where id = ${stepId} and status in ('pending', 'running')
    returning id`;
}

/**
 * Completes a live step with its output and inserts the steps after it, in one statement. A
 * (parent, node) pair that already has a step is skipped, so repeating a fan-out creates
 * nothing twice.
 * `settled` is false (and nothing is inserted) when the step was cancelled or finished
 * meanwhile.
 */
export async function completeAndSpawn(
  db: Kysely<Database>,
  stepId: string,
  result: { output: unknown; outputs: readonly string[] },
  steps: readonly NewStep[],
): Promise<{ settled: boolean; children: SpawnedStep[] }> {
  const { rows } = await sql<{ settled: number; spawned: SpawnedStep[] }>`
    with done as (${completionSql(stepId, result)}
    ), spawned as (
      insert into steps (run_id, journey_id, version, node_id, parent_step_id)
      select s."runId", s."journeyId", s.version, s."nodeId", s."parentStepId"
      from json_to_recordset(${JSON.stringify(steps)}::json)
        as s("runId" uuid, "journeyId" uuid, version int, "nodeId" text, "parentStepId" uuid)
      where exists (select 1 from done)
      on conflict (parent_step_id, node_id) where parent_step_id is not null do nothing
      returning id, run_id, node_id, parent_step_id
    )
    select (select count(*) from done)::int as settled,
      coalesce((select json_agg(json_build_object('id', id, 'runId', run_id, 'nodeId', node_id,
        'parentStepId', parent_step_id)) from spawned), '[]'::json) as spawned
  `.execute(db);
  const row = rows[0];
  return { settled: (row?.settled ?? 0) > 0, children: row?.spawned ?? [] };
}
