import { pointerKey } from './pointer.js';
import type { GraphEdge, GraphNode, JourneyGraph } from './types.js';

/** What changed between two graphs; nodes and edges are matched by id. */
export interface GraphDiff {
  nodes: { added: string[]; removed: string[]; changed: { id: string; paths: string[] }[] };
  edges: { added: string[]; removed: string[] };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON pointers of every place where `a` and `b` differ, as deep as both sides have structure. */
export function changedPaths(a: unknown, b: unknown, pointer = ''): string[] {
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= a.length || i >= b.length) out.push(`${pointer}/${i}`);
      else out.push(...changedPaths(a[i], b[i], `${pointer}/${i}`));
    }
    return out;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((key) => {
      const at = `${pointer}/${pointerKey(key)}`;
      if (!(key in a) || !(key in b)) return [at];
      return changedPaths(a[key], b[key], at);
    });
  }
  return Object.is(a, b) ? [] : [pointer];
}

function byId<T extends { id: string }>(items: readonly T[] | undefined): Map<string, T> {
  return new Map((items ?? []).map((item) => [item.id, item]));
}

/**
 * Compares two graphs: nodes added, removed, and changed (with JSON pointers into the node,
 * e.g. `/params/subject`); edges added and removed. An edge whose id stayed but whose ends
 * or handle changed counts as removed and added.
 *
 * @example
 * diffGraphs(v1.graph, draft.graph).nodes.changed // [{ id: 'n2', paths: ['/params/subject'] }]
 */
export function diffGraphs(from: JourneyGraph, to: JourneyGraph): GraphDiff {
  const [fromNodes, toNodes] = [byId<GraphNode>(from.nodes), byId<GraphNode>(to.nodes)];
  const [fromEdges, toEdges] = [byId<GraphEdge>(from.edges), byId<GraphEdge>(to.edges)];
  const changed: GraphDiff['nodes']['changed'] = [];
  for (const [id, node] of toNodes) {
    const before = fromNodes.get(id);
    const paths = before ? changedPaths(before, node) : [];
    if (paths.length) changed.push({ id, paths });
  }
  const edgeChanged = (id: string) => changedPaths(fromEdges.get(id), toEdges.get(id)).length > 0;
  return {
    nodes: {
      added: [...toNodes.keys()].filter((id) => !fromNodes.has(id)),
      removed: [...fromNodes.keys()].filter((id) => !toNodes.has(id)),
      changed,
    },
    edges: {
      added: [...toEdges.keys()].filter((id) => !fromEdges.has(id) || edgeChanged(id)),
      removed: [...fromEdges.keys()].filter((id) => !toEdges.has(id) || edgeChanged(id)),
    },
  };
}
