import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { GraphNode } from '../graph/types.js';
import type { NodeRegistry } from '../registry/registry.js';
import { definitionOf } from '../runs/versions.js';

/** The trigger nodes of a journey's versions, as parallel arrays of (version, node id). */
export interface TriggerNodes {
  versions: number[];
  nodeIds: string[];
}

/**
 * Every version's trigger nodes (or `version`'s alone): a run's first step is at its version's
 * trigger, so the steps entered there are the runs started. Read per version, since a later
 * version may name its trigger otherwise, or give a former trigger's id to another node.
 *
 * @example
 * await triggerNodes(db, registry, journeyId) // { versions: [1, 2], nodeIds: ['t', 'start'] }
 */
export async function triggerNodes(
  db: Kysely<Database>,
  registry: NodeRegistry,
  journeyId: string,
  version: number | undefined,
): Promise<TriggerNodes> {
  // The node's id, type and version only: its params (an email's HTML) are not needed here.
  const { rows } = await sql<{ version: number; node: GraphNode }>`
    select v.version, jsonb_build_object('id', n -> 'id', 'type', n -> 'type', 'version', n -> 'version') as node
    from journey_versions v cross join lateral jsonb_array_elements(v.graph -> 'nodes') n
    where v.journey_id = ${journeyId} and (${version ?? null}::int is null or v.version = ${version ?? null}::int)
  `.execute(db);
  const found: TriggerNodes = { versions: [], nodeIds: [] };
  for (const { version: v, node } of rows) {
    if (definitionOf(registry, node)?.kind !== 'trigger') continue;
    found.versions.push(v);
    found.nodeIds.push(node.id);
  }
  return found;
}
