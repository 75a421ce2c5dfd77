import core from '@waymark/nodes-core';
import { type AnyNodeDefinition, outputsOf } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { GraphNode } from '../graph/types.js';
import type { Outcome } from '../runs/node/invoke.js';
import { defaultedParams } from '../runs/versions.js';
import { type AssignmentReader, splitUnit } from './assignments.js';

export const SPLIT_TYPE = 'core.split';

const SPLIT = core.nodes.find((d) => d.type === SPLIT_TYPE);

/** A split's params as its steps run them: one saved without `variants` has the default ones. */
export const splitParams = <P>(node: GraphNode): P =>
  (SPLIT ? defaultedParams(SPLIT, node.params) : node.params) as unknown as P;

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

/** What a split step is settled against: the standing decisions and the units' first assignments. */
export interface SplitReaders {
  decision: DecisionReader;
  assignment: AssignmentReader;
}

/**
 * A split step's outcome with the journey's standing decision for that node applied: while a
 * winner or override stands, every contact takes its variant (when this version has it),
 * output `{ variant, by: "winner" | "override" }`. Otherwise a unit first assigned by weight
 * takes that variant again while this version has it: a re-entry never moves, whatever the
 * weights or the hash say now (nodes/README.md "Split assignment"). Other nodes and outcomes pass
 * unchanged.
 *
 * @example
 * const outcome = await settleSplit(batch, run, node, definition, ran);
 */
export async function settleSplit(
  readers: SplitReaders,
  run: { id: string; journeyId: string; contactId: string | null },
  node: GraphNode,
  definition: AnyNodeDefinition,
  outcome: Outcome,
): Promise<Outcome> {
  if (node.type !== SPLIT_TYPE || outcome.kind !== 'next') return outcome;
  // With the node's defaults, as the split ran: one saved without variants splits by the default ones.
  const variants = outputsOf(definition, defaultedParams(definition, node.params));
  const decision = await readers.decision(run.journeyId, node.id);
  if (decision && variants.includes(decision.variant))
    return { kind: 'next', outputs: [decision.variant], output: { variant: decision.variant, by: decision.kind } };
  const kept = await readers.assignment({ journeyId: run.journeyId, nodeId: node.id, unit: splitUnit(run) });
  if (!kept || !variants.includes(kept) || (outcome.outputs.length === 1 && outcome.outputs[0] === kept))
    return outcome;
  return { kind: 'next', outputs: [kept], output: { variant: kept, by: 'weights' } };
}

/**
 * On publishing: a standing decision survives while the new version still has a split with
 * that node id and that variant; otherwise it is cleared (contract "core.split"), and, as
 * after `DELETE …/winner`, the split's new test period starts now: its figures then are no
 * basis for deciding at once.
 */
export async function clearStaleDecisions(trx: Kysely<Database>, journeyId: string, version: number): Promise<void> {
  const { graph } = await trx
    .selectFrom('journey_versions')
    .select('graph')
    .where('journey_id', '=', journeyId)
    .where('version', '=', version)
    .executeTakeFirstOrThrow();
  // The new version's (split, variant) pairs, its variants read with the node's defaults.
  const kept = graph.nodes
    .filter((n) => n.type === SPLIT_TYPE)
    .flatMap((n) => splitParams<{ variants: { key: string }[] }>(n).variants.map((v) => [n.id, v.key] as const));
  const { rows } = await sql<{ node_id: string }>`
    update split_decisions d set cleared_at = now()
    where d.journey_id = ${journeyId} and d.cleared_at is null
      and not exists (
        select 1 from unnest(${kept.map((k) => k[0])}::text[], ${kept.map((k) => k[1])}::text[]) k(node_id, variant)
        where k.node_id = d.node_id and (d.variant is null or k.variant = d.variant))
    returning d.node_id
  `.execute(trx);
  await startTestPeriods(
    trx,
    journeyId,
    rows.map((r) => r.node_id),
  );
}

/**
 * Starts a new test period now at each of the journey's splits `nodeIds` (their experiments'
 * `startedAt`), as clearing a standing decision does.
 */
export async function startTestPeriods(
  trx: Kysely<Database>,
  journeyId: string,
  nodeIds: readonly string[],
): Promise<void> {
  if (!nodeIds.length) return;
  await sql`
    insert into split_tests (workspace_id, journey_id, node_id, started_at)
    select j.workspace_id, j.id, n.id, now() from journeys j cross join unnest(${nodeIds}::text[]) n(id)
    where j.id = ${journeyId}
    order by n.id
    on conflict (journey_id, node_id) do update set started_at = excluded.started_at
  `.execute(trx);
}
