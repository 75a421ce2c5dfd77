import type { Graph, GraphEdge, GraphNode } from '../api/types/journeys.ts';
import { newId } from './convert.ts';

/** The selected nodes and the edges between them, as graph JSON (what Copy puts on the clipboard). */
export function subgraph(graph: Graph, selected: ReadonlySet<string>): Graph {
  return {
    nodes: graph.nodes.filter((n) => selected.has(n.id)),
    edges: graph.edges.filter((e) => selected.has(e.source) && selected.has(e.target)),
  };
}

/** Parses pasted text as graph JSON; anything else is not ours and is ignored. */
export function parseGraph(text: string): Graph | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const graph = value as Partial<Graph> | null;
  if (!graph || !Array.isArray(graph.nodes)) return null;
  const nodes = graph.nodes.filter(
    (n): n is GraphNode =>
      !!n && typeof n.id === 'string' && typeof n.type === 'string' && typeof n.version === 'number',
  );
  const edges = (Array.isArray(graph.edges) ? graph.edges : []).filter(
    (e): e is GraphEdge => !!e && typeof e.source === 'string' && typeof e.target === 'string',
  );
  return { nodes, edges };
}

/**
 * Fresh ids for pasted nodes and edges (so a paste never collides with what is on the canvas),
 * shifted so a copy lands beside its original.
 */
export function reidentify(graph: Graph, taken: ReadonlySet<string>, shift = 40): Graph {
  const used = new Set(taken);
  const ids = new Map<string, string>();
  for (const node of graph.nodes) {
    const id = newId('n', used);
    used.add(id);
    ids.set(node.id, id);
  }
  return {
    nodes: graph.nodes.map((n) => ({
      ...n,
      id: ids.get(n.id)!,
      params: structuredClone(n.params ?? {}),
      position: { x: (n.position?.x ?? 0) + shift, y: (n.position?.y ?? 0) + shift },
    })),
    edges: graph.edges
      .filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e) => ({ ...e, id: newId('e', used), source: ids.get(e.source)!, target: ids.get(e.target)! })),
  };
}
