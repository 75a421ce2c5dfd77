import { type AnyNodeDefinition, outputsOf } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { GraphNode } from '../graph/types.js';
import type { Outcome } from '../runs/node/invoke.js';

export const SPLIT_TYPE = 'core.split';

/** A split's standing decision that routes contacts (`winner` or `override`), if any. */
export async function routingDecision(
  db: Kysely<Database>,
  journeyId: string,
  nodeId: string,
): Promise<{ kind: 'winner' | 'override'; variant: string } | null> {
  const { rows } = await sql<{ kind: 'winner' | 'override'; variant: string }>`
    select kind, variant from split_decisions
    where journey_id = ${journeyId} and node_id = ${nodeId} and cleared_at is null and kind in ('winner', 'override')
  `.execute(db);
  return rows[0] ?? null;
}

/**
 * A split step's outcome with the journey's standing decision for that node applied: while a
 * winner or override stands, every contact takes its variant (when this version has it),
 * output `{ variant, by: "winner" | "override" }`. Other nodes and outcomes pass unchanged.
 *
 * @example
 * const outcome = await withDecision(db, run.journeyId, node, definition, await invokeNode(…));
 */
export async function withDecision(
  db: Kysely<Database>,
  journeyId: string,
  node: GraphNode,
  definition: AnyNodeDefinition,
  outcome: Outcome,
): Promise<Outcome> {
  if (node.type !== SPLIT_TYPE || outcome.kind !== 'next') return outcome;
  const decision = await routingDecision(db, journeyId, node.id);
  if (!decision || !outputsOf(definition, node.params ?? {}).includes(decision.variant)) return outcome;
  return { kind: 'next', outputs: [decision.variant], output: { variant: decision.variant, by: decision.kind } };
}
