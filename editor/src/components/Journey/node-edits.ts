import type { NodeSettings } from '../../lib/api/types/journeys.ts';
import type { JsonObject } from '../../lib/api/types/json.ts';
import type { FlowEdge, FlowNode } from '../../lib/graph/convert.ts';

/** A graph as the canvas holds it. */
export interface Flow {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/**
 * `flow` with node `id`'s failure handling set (undefined: none). Leaving "Error output" takes the
 * `error` handle away, and the edges that left it with it (publish would refuse them).
 */
export function withSettings(flow: Flow, id: string, settings: NodeSettings | undefined): Flow {
  const nodes = flow.nodes.map((n) => {
    if (n.id !== id) return n;
    const { settings: _old, ...data } = n.data;
    return { ...n, data: settings ? { ...data, settings } : data };
  });
  const dropsError = settings?.onError === 'fail' || settings?.onError === 'continue';
  const edges = dropsError ? flow.edges.filter((e) => !(e.source === id && e.sourceHandle === 'error')) : flow.edges;
  return { nodes, edges };
}

/**
 * `flow` with node `id`'s params set; `outputs` are the node's outputs before and after. Renaming
 * one split variant keeps its wiring: the edge follows the renamed handle.
 */
export function withParams(
  flow: Flow,
  id: string,
  params: JsonObject,
  outputs: { before: string[]; after: string[] },
): Flow {
  const nodes = flow.nodes.map((n) => (n.id === id ? { ...n, data: { ...n.data, params } } : n));
  const { before, after } = outputs;
  const renamed = before.length === after.length ? before.findIndex((o, i) => o !== after[i]) : -1;
  if (renamed < 0 || before.filter((o, i) => o !== after[i]).length !== 1) return { nodes, edges: flow.edges };
  const [from, to] = [before[renamed], after[renamed]];
  const edges = flow.edges.map((e) => (e.source === id && e.sourceHandle === from ? { ...e, sourceHandle: to } : e));
  return { nodes, edges };
}
