import { type AnyNodeDefinition, outputsOf } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { GraphNode } from '../graph/types.js';
import type { Outcome } from '../runs/node/invoke.js';

export const SPLIT_TYPE = 'core.split';

/** A standing decision that routes every contact of a split to one variant. */
export interface RoutingDecision {
  kind: 'winner' | 'override';
  variant: string;
}

/** Reads a split's standing decision (`routingDecision`, or a batch's memo of it). */
export type DecisionReader = (journeyId: string, nodeId: string) => Promise<RoutingDecision | null>;

/** A split's standing decision that routes contacts (`winner` or `override`), if any. */
export async function routingDecision(
  db: Kysely<Database>,
  journeyId: string,
  nodeId: string,
): Promise<RoutingDecision | null> {
  const { rows } = await sql<RoutingDecision>`
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
 * const outcome = await withDecision((j, n) => routingDecision(db, j, n), run.journeyId, node, definition, ran);
 */
export async function withDecision(
  decisionOf: DecisionReader,
  journeyId: string,
  node: GraphNode,
  definition: AnyNodeDefinition,
  outcome: Outcome,
): Promise<Outcome> {
  if (node.type !== SPLIT_TYPE || outcome.kind !== 'next') return outcome;
  const decision = await decisionOf(journeyId, node.id);
  if (!decision || !outputsOf(definition, node.params ?? {}).includes(decision.variant)) return outcome;
  return { kind: 'next', outputs: [decision.variant], output: { variant: decision.variant, by: decision.kind } };
}

/**
 * On publishing: a standing decision survives while the new version still has a split with
 * that node id and that variant; otherwise it is cleared (contract "core.split").
 */
export async function clearStaleDecisions(trx: Kysely<Database>, journeyId: string, version: number): Promise<void> {
  await sql`
    update split_decisions d set cleared_at = now()
    where d.journey_id = ${journeyId} and d.cleared_at is null
      and not exists (
        select 1 from journey_versions v cross join lateral jsonb_array_elements(v.graph -> 'nodes') n
        where v.journey_id = d.journey_id and v.version = ${version}
          and n ->> 'id' = d.node_id and n ->> 'type' = ${SPLIT_TYPE}
          and (d.variant is null or n -> 'params' -> 'variants' @> jsonb_build_array(jsonb_build_object('key', d.variant))))
  `.execute(trx);
}
