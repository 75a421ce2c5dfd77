import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';

/** A step to create: `nodeId` reached from `parentStepId`. */
export interface NewStep {
  runId: string;
  journeyId: string;
  version: number;
  parentStepId: string;
  nodeId: string;
}

/**
 * Inserts the next steps of tokens in one statement. A (parent, node) pair that already has
 * a step is skipped, so repeating a fan-out creates nothing twice. Returns the steps created.
 */
export async function spawnSteps(
  db: Kysely<Database>,
  steps: readonly NewStep[],
): Promise<{ id: string; runId: string; nodeId: string; parentStepId: string }[]> {
  if (steps.length === 0) return [];
  const { rows } = await sql<{ id: string; run_id: string; node_id: string; parent_step_id: string }>`
    insert into steps (run_id, journey_id, version, node_id, parent_step_id)
    select s."runId", s."journeyId", s.version, s."nodeId", s."parentStepId"
    from json_to_recordset(${JSON.stringify(steps)}::json)
      as s("runId" uuid, "journeyId" uuid, version int, "nodeId" text, "parentStepId" uuid)
    on conflict (parent_step_id, node_id) where parent_step_id is not null do nothing
    returning id, run_id, node_id, parent_step_id
  `.execute(db);
  return rows.map((r) => ({ id: r.id, runId: r.run_id, nodeId: r.node_id, parentStepId: r.parent_step_id }));
}
