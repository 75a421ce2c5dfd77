import type { GraphEdge } from '../api/types/journeys.ts';

type EdgeEnds = Pick<GraphEdge, 'source' | 'target'> & { sourceHandle?: string | null };

/**
 * Every node's name as the canvas shows it: its type's title (`title`), with its id only when
 * another node of the graph has the same title, so two "Tag contact" nodes can be told apart.
 */
export function nodeNames<N extends { id: string }>(
  nodes: readonly N[],
  title: (node: N) => string,
): Map<string, string> {
  const titles = new Map(nodes.map((n) => [n.id, title(n)]));
  const uses = new Map<string, number>();
  for (const t of titles.values()) uses.set(t, (uses.get(t) ?? 0) + 1);
  return new Map([...titles].map(([id, t]) => [id, (uses.get(t) ?? 0) > 1 ? `${t} (${id})` : t]));
}

/**
 * Where an edge runs, in words, by the names of the nodes it joins and the output it leaves by
 * ("out", every single-output node's, says nothing and is left out):
 * "from Condition, output yes, to Tag contact".
 */
export function edgeEnds(edge: EdgeEnds, name: (nodeId: string) => string): string {
  return `from ${edgeRoute(edge, name)}`;
}

/** edgeEnds without its "from": "Condition, output yes, to Tag contact", "Webhook to Condition". */
export function edgeRoute(edge: EdgeEnds, name: (nodeId: string) => string): string {
  const output = edge.sourceHandle && edge.sourceHandle !== 'out' ? `, output ${edge.sourceHandle},` : '';
  return `${name(edge.source)}${output} to ${name(edge.target)}`;
}
