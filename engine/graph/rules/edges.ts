import { type ErrorDetail, outputsOf } from '@waymark/sdk';
import type { GraphEdge, GraphNode } from '../types.js';
import type { KnownNode } from './nodes.js';

/**
 * Each known node's outputs for its params (null: not worth checking edges against, as for
 * invalid params, which their own problem names), computed once a node; an `outputs(params)`
 * that throws or never answers (an installed package's, past its time limit) is a problem of
 * its node, since each of its steps would fail the same way.
 */
function outputsOfNodes(known: ReadonlyMap<string, KnownNode>) {
  const outputs = new Map<string, readonly string[] | null>();
  const errors: ErrorDetail[] = [];
  for (const [id, { definition, params, paramsValid }] of known) {
    if (typeof definition.outputs !== 'function') outputs.set(id, outputsOf(definition, {}));
    else if (!paramsValid) outputs.set(id, null);
    else
      try {
        outputs.set(id, outputsOf(definition, params));
      } catch (error) {
        outputs.set(id, null);
        const message = error instanceof Error ? error.message : String(error);
        errors.push({ nodeId: id, message: `outputs could not be computed: ${message}` });
      }
  }
  return { outputs, errors };
}

/**
 * Edge rules: ids are unique, source and target name nodes of the graph, and the
 * `sourceHandle` is one of the source node's outputs (for its params), which must be
 * computable for every node with valid params, whether edges leave it or not. Returns the edges
 * that may take part in the topology checks.
 */
export function checkEdges(
  edges: readonly GraphEdge[],
  nodes: readonly GraphNode[],
  known: ReadonlyMap<string, KnownNode>,
): { errors: ErrorDetail[]; sound: GraphEdge[] } {
  const { outputs: outputsOfNode, errors } = outputsOfNodes(known);
  const sound: GraphEdge[] = [];
  const nodeIds = new Set(nodes.map((n) => n.id));
  const seen = new Set<string>();
  for (const edge of edges) {
    // Still checked and followed: the id is one problem, and the edge's others (a cycle it
    // closes, an end that is no node) are listed too (API.md: publish lists every problem).
    if (seen.has(edge.id))
      errors.push({ edgeId: edge.id, message: `edge id "${edge.id}" is used by more than one edge` });
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
    const outputs = outputsOfNode.get(edge.source) ?? null;
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
