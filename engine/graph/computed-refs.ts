import { type ErrorDetail, validateFilter } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import { computedNames, unknownComputed } from '../computed/definition.js';
import { listComputed, lockComputed } from '../computed/store.js';
import type { Database } from '../db/database.js';
import type { NodeRegistry } from '../registry/registry.js';
import { filterParams } from './filter-params.js';
import type { JourneyGraph } from './types.js';

/** Where a graph names computed attributes: filter params' `computed` clauses, and `core.computed` triggers. */
interface ComputedRef {
  nodeId: string;
  /** The filter at `path`, or the trigger's attribute name. */
  filter?: unknown;
  attribute?: string;
  path: string;
}

function refsOf(graph: JourneyGraph, registry: NodeRegistry): ComputedRef[] {
  return (graph.nodes ?? []).flatMap((node): ComputedRef[] => {
    const definition = registry.get(node.type, node.version)?.definition;
    if (!definition) return [];
    // A filter of the wrong shape (a computed clause in an event filter) is the params check's to name.
    const filters = filterParams(definition, node.params ?? {})
      .filter((f) => computedNames(f.value).length > 0 && validateFilter(f.value, f.context, f.path).length === 0)
      .map((f) => ({ nodeId: node.id, filter: f.value, path: f.path }));
    const attribute = (node.params as { attribute?: unknown } | undefined)?.attribute;
    return node.type === 'core.computed' && typeof attribute === 'string'
      ? [...filters, { nodeId: node.id, attribute, path: '/attribute' }]
      : filters;
  });
}

/**
 * Checks that every computed attribute a graph names exists (NODES.md: an unknown name is an
 * error at the clause's JSON pointer), in one query; problems carry the node id and the
 * pointer into its params. Inside a publish's transaction it holds the workspace's computed
 * lock shared, so a deletion of a named attribute waits and then sees the journey using it.
 */
export async function computedProblems(
  db: Kysely<Database>,
  workspaceId: string,
  graph: JourneyGraph,
  registry: NodeRegistry,
): Promise<ErrorDetail[]> {
  const refs = refsOf(graph, registry);
  if (refs.length === 0) return [];
  if (db.isTransaction) await lockComputed(db, workspaceId, 'shared');
  const known = new Set((await listComputed(db, workspaceId)).map((a) => a.name));
  return refs.flatMap(({ nodeId, filter, attribute, path }): ErrorDetail[] => {
    if (attribute !== undefined)
      return known.has(attribute) ? [] : [{ nodeId, path, message: `no computed attribute "${attribute}"` }];
    return unknownComputed(filter, path, (name) => known.has(name)).map((p) => ({ nodeId, ...p }));
  });
}
