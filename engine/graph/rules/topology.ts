import type { ErrorDetail } from '@waymark/sdk';
import type { GraphEdge, GraphNode } from '../types.js';
import type { KnownNode } from './nodes.js';

function outgoing(edges: readonly GraphEdge[]): Map<string, GraphEdge[]> {
  const out = new Map<string, GraphEdge[]>();
  for (const edge of edges) {
    const list = out.get(edge.source);
    if (list) list.push(edge);
    else out.set(edge.source, [edge]);
  }
  return out;
}

/** The edges that close a cycle, found by depth-first search (one per cycle it meets). */
function cycleEdges(nodes: readonly GraphNode[], out: ReadonlyMap<string, GraphEdge[]>): GraphEdge[] {
  const state = new Map<string, 'open' | 'done'>();
  const closing: GraphEdge[] = [];
  for (const start of nodes) {
    if (state.has(start.id)) continue;
    // Iterative DFS: a graph drawn by a script may be deeper than the call stack.
    const stack: { id: string; next: number }[] = [{ id: start.id, next: 0 }];
    state.set(start.id, 'open');
    while (stack.length) {
      const frame = stack[stack.length - 1]!;
      const edge = out.get(frame.id)?.[frame.next++];
      if (!edge) {
        state.set(frame.id, 'done');
        stack.pop();
        continue;
      }
      const seen = state.get(edge.target);
      if (seen === 'open') closing.push(edge);
      else if (!seen) {
        state.set(edge.target, 'open');
        stack.push({ id: edge.target, next: 0 });
      }
    }
  }
  return closing;
}

/**
 * Shape rules: at least one trigger, no edge into a trigger, no cycle (each named by an
 * edge on it), and every node reachable from a trigger. Takes only edges whose ends exist.
 */
export function checkTopology(
  nodes: readonly GraphNode[],
  edges: readonly GraphEdge[],
  known: ReadonlyMap<string, KnownNode>,
): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  const isTrigger = (id: string) => known.get(id)?.definition.kind === 'trigger';
  const triggers = [...new Set(nodes.map((n) => n.id).filter(isTrigger))];
  if (triggers.length === 0) errors.push({ message: 'the journey needs at least one trigger node' });

  for (const edge of edges) {
    if (isTrigger(edge.target))
      errors.push({
        edgeId: edge.id,
        nodeId: edge.target,
        message: `edge ${edge.id}: trigger ${edge.target} cannot have an incoming edge`,
      });
  }
  const out = outgoing(edges);
  for (const edge of cycleEdges(nodes, out)) {
    errors.push({
      edgeId: edge.id,
      message: `the graph has a cycle: edge ${edge.id} (${edge.source} → ${edge.target}) leads back to an earlier node`,
    });
  }
  if (triggers.length === 0) return errors;

  const reached = new Set(triggers);
  const queue = [...triggers];
  while (queue.length) {
    const id = queue.pop()!;
    for (const edge of out.get(id) ?? []) {
      if (!reached.has(edge.target)) {
        reached.add(edge.target);
        queue.push(edge.target);
      }
    }
  }
  const reported = new Set<string>();
  for (const node of nodes) {
    if (reached.has(node.id) || reported.has(node.id)) continue;
    reported.add(node.id);
    errors.push({ nodeId: node.id, message: `node ${node.id} cannot be reached from any trigger` });
  }
  return errors;
}
