import { type ErrorDetail, outputsOf } from '@waymark/sdk';
import type { GraphEdge, GraphNode } from '../types.js';
import type { KnownNode } from './nodes.js';

function outputsOfNode(known: KnownNode): readonly string[] | null {
  const { definition, params, paramsValid } = known;
  if (typeof definition.outputs !== 'function') return outputsOf(definition, {});
  // Outputs computed from invalid params are not worth checking against: the params error says it.
  if (!paramsValid) return null;
  try {
    return outputsOf(definition, params);
  } catch {
    return null;
  }
}

/**
 * Edge rules: ids are unique, source and target name nodes of the graph, and the
 * `sourceHandle` is one of the source node's outputs (for its params). Returns the edges
 * that may take part in the topology checks.
 */
export function checkEdges(
  edges: readonly GraphEdge[],
  nodes: readonly GraphNode[],
  known: ReadonlyMap<string, KnownNode>,
): { errors: ErrorDetail[]; sound: GraphEdge[] } {
  const errors: ErrorDetail[] = [];
  const sound: GraphEdge[] = [];
  const nodeIds = new Set(nodes.map((n) => n.id));
  const seen = new Set<string>();
  for (const edge of edges) {
    if (seen.has(edge.id)) {
      errors.push({ edgeId: edge.id, message: `edge id "${edge.id}" is used by more than one edge` });
      continue;
    }
    seen.add(edge.id);
    let ok = true;
    for (const end of ['source', 'target'] as const) {
      if (!nodeIds.has(edge[end])) {
        errors.push({
          edgeId: edge.id,
          message: `edge ${edge.id}: its ${end} "${edge[end]}" is not a node of the graph`,
        });
        ok = false;
      }
    }
    const source = known.get(edge.source);
    const outputs = source ? outputsOfNode(source) : null;
    if (source && outputs && !outputs.includes(edge.sourceHandle)) {
      const names = outputs.length ? outputs.map((o) => `"${o}"`).join(', ') : 'none';
      errors.push({
        edgeId: edge.id,
        nodeId: edge.source,
        message: `edge ${edge.id}: node ${edge.source} (${source.definition.type}) has no output "${edge.sourceHandle}" (its outputs: ${names})`,
      });
      ok = false;
    }
    if (ok) sound.push(edge);
  }
  return { errors, sound };
}
