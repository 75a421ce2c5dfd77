import type { GraphEdge } from '../api/types.ts';

export interface LayoutOptions {
  /** Horizontal distance between layers. */
  layerGap?: number;
  /** Vertical distance between nodes of one layer. */
  rowGap?: number;
}

/**
 * A layered left-to-right layout: a node's layer is its longest path from a root, nodes in a
 * layer are ordered by the mean row of their parents (one barycentre sweep), and each layer is
 * centred vertically. Enough for the DAGs journeys are, without a layout library.
 */
export function layeredLayout(
  ids: readonly string[],
  edges: readonly Pick<GraphEdge, 'source' | 'target'>[],
  options: LayoutOptions = {},
): Map<string, { x: number; y: number }> {
  const { layerGap = 300, rowGap = 150 } = options;
  const known = new Set(ids);
  const inner = edges.filter((e) => known.has(e.source) && known.has(e.target));
  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  // Longest path by relaxation; bounded by the node count so a (forbidden) cycle cannot hang us.
  for (let round = 0; round < ids.length; round++) {
    let changed = false;
    for (const e of inner) {
      const next = layer.get(e.source)! + 1;
      if (next > layer.get(e.target)!) {
        layer.set(e.target, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const layers: string[][] = [];
  for (const id of ids) {
    const index = layer.get(id)!;
    layers[index] = [...(layers[index] ?? []), id];
  }
  const row = new Map<string, number>();
  for (const members of layers) {
    if (!members) continue;
    const weight = (id: string): number => {
      const parents = inner.filter((e) => e.target === id).map((e) => row.get(e.source) ?? 0);
      return parents.length ? parents.reduce((a, b) => a + b, 0) / parents.length : 0;
    };
    members.sort((a, b) => weight(a) - weight(b));
    members.forEach((id, i) => {
      row.set(id, i);
    });
  }
  const tallest = Math.max(1, ...layers.map((m) => m?.length ?? 0));
  const positions = new Map<string, { x: number; y: number }>();
  layers.forEach((members, index) => {
    if (!members) return;
    const offset = ((tallest - members.length) * rowGap) / 2;
    members.forEach((id, i) => {
      positions.set(id, { x: index * layerGap, y: offset + i * rowGap });
    });
  });
  return positions;
}
