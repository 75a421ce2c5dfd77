import type { Edge, Node } from '@xyflow/svelte';
import type { Graph, GraphEdge, GraphNode, NodeSettings } from '../api/types/journeys.ts';
import type { JsonObject } from '../api/types/json.ts';

/** What a canvas node carries: the graph node's own fields besides id and position. */
export type WaymarkData = { type: string; version: number; params: JsonObject; settings?: NodeSettings };
export type FlowNode = Node<WaymarkData, 'waymark'>;
export type FlowEdge = Edge;

export function toFlowNode(node: GraphNode): FlowNode {
  return {
    id: node.id,
    type: 'waymark',
    position: { x: node.position?.x ?? 0, y: node.position?.y ?? 0 },
    data: {
      type: node.type,
      version: node.version,
      params: node.params ?? {},
      ...(node.settings ? { settings: node.settings } : {}),
    },
  };
}

export function toFlowEdge(edge: GraphEdge): FlowEdge {
  return { id: edge.id, source: edge.source, sourceHandle: edge.sourceHandle, target: edge.target };
}

export function toFlow(graph: Graph): { nodes: FlowNode[]; edges: FlowEdge[] } {
  return { nodes: (graph.nodes ?? []).map(toFlowNode), edges: (graph.edges ?? []).map(toFlowEdge) };
}

/** Exactly the API/DESIGN graph shape: nothing of xyflow's (selection, measures) leaks in. */
export function toGraph(nodes: readonly FlowNode[], edges: readonly FlowEdge[]): Graph {
  return {
    nodes: nodes.map((n) => ({
      id: n.id,
      type: n.data.type,
      version: n.data.version,
      params: n.data.params,
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
      ...(n.data.settings ? { settings: n.data.settings } : {}),
    })),
    edges: edges.map((e) => ({ id: e.id, source: e.source, sourceHandle: e.sourceHandle ?? 'out', target: e.target })),
  };
}

/** A short random id; node ids appear in templates (`steps.<id>.output`), so keep them readable. */
export function newId(prefix: string, taken: ReadonlySet<string> = new Set()): string {
  for (;;) {
    const id = `${prefix}${Math.random().toString(36).slice(2, 7)}`;
    if (!taken.has(id)) return id;
  }
}
