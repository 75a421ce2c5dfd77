import type { ErrorDetail } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { GraphNode } from '../graph/types.js';
import { computedNames } from './definition.js';

/** True when the node reads the computed attribute: a `computed` clause in its params, or a `core.computed` trigger on it. */
export function nodeUses(node: GraphNode, name: string): boolean {
  if (node.type === 'core.computed' && (node.params as { attribute?: unknown }).attribute === name) return true;
  return computedNames(node.params).includes(name);
}

/**
 * The nodes of live journeys' published graphs that read the computed attribute, one detail
 * each. A paused journey counts as live: its runs go on as drawn (API.md), and a resume makes
 * it take entries again with the same graph, which would name an attribute no longer there.
 */
export async function liveUsesOf(db: Kysely<Database>, workspaceId: string, name: string): Promise<ErrorDetail[]> {
  const { rows } = await sql<{ journey_id: string; graph: { nodes?: GraphNode[] } }>`
    select j.id as journey_id, v.graph from journeys j
    join journey_versions v on v.journey_id = j.id and v.version = j.published_version
    where j.status in ('live', 'paused') and j.workspace_id = ${workspaceId}`.execute(db);
  return rows.flatMap((r) =>
    (r.graph.nodes ?? [])
      .filter((n) => nodeUses(n, name))
      .map((n) => ({ path: `/journeys/${r.journey_id}`, nodeId: n.id, message: `journey ${r.journey_id} reads it` })),
  );
}
