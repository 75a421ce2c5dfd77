import dagre from '@dagrejs/dagre';
import type { GraphEdge } from '../api/types/journeys.ts';
import { BIG_JOURNEY } from './estimate.ts';

/** The box every node gets in a layout: the canvas draws nodes this wide and at most this tall. */
export const NODE_BOX = { width: 220, height: 120 } as const;

/**
 * How an edge runs after a layout, orthogonally so that it never crosses a node box: down from
 * its output to the gap below its source's layer (`gaps[0]`), across to a free lane, down
 * through each layer between, and across into its target in the gap above it. `lanes[i]` is the
 * x of the lane between `gaps[i]` and `gaps[i + 1]` (the slots dagre reserves for long edges).
 */
export interface EdgeRoute {
  gaps: number[];
  lanes: number[];
}

export interface Layout {
  positions: Map<string, { x: number; y: number }>;
  routes: Map<string, EdgeRoute>;
}

/**
 * A layered top-down layout (dagre): triggers on top, each branch beside its siblings, long
 * edges given lanes of their own. Positions are top-left corners, as xyflow places nodes.
 */
export function layeredLayout(
  ids: readonly string[],
  edges: readonly Pick<GraphEdge, 'id' | 'source' | 'target'>[],
): Layout {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 50, ranksep: 70, edgesep: 24 });
  g.setDefaultEdgeLabel(() => ({}));
  const known = new Set(ids);
  for (const id of ids) g.setNode(id, { ...NODE_BOX });
  const inner = edges.filter((e) => known.has(e.source) && known.has(e.target) && e.source !== e.target);
  for (const e of inner) g.setEdge(e.source, e.target, {}, e.id);
  // dagre's crossing reduction sweeps the layers until four sweeps bring nothing better: for a
  // journey of hundreds of nodes that took a third of its opening. There the first ordering (by a
  // walk from the triggers, which keeps each branch beside its siblings) is kept.
  dagre.layout(g, ids.length > BIG_JOURNEY ? { disableOptimalOrderHeuristic: true } : {});

  const centre = (id: string) => g.node(id) as { x: number; y: number };
  const positions = new Map(
    ids.map((id) => [id, { x: centre(id).x - NODE_BOX.width / 2, y: centre(id).y - NODE_BOX.height / 2 }]),
  );
  // Layers are the distinct centre heights; a gap is half-way between two of them.
  const layers = [...new Set(ids.map((id) => centre(id).y))].sort((a, b) => a - b);
  const routes = new Map<string, EdgeRoute>();
  for (const e of inner) {
    const from = layers.indexOf(centre(e.source).y);
    const to = layers.indexOf(centre(e.target).y);
    if (to <= from) continue; // an edge drawn upwards (a cycle, refused at publish) keeps xyflow's path
    const points = (g.edge(e.source, e.target, e.id) as { points?: { x: number; y: number }[] }).points ?? [];
    const gaps: number[] = [];
    const lanes: number[] = [];
    for (let layer = from; layer < to; layer++) {
      gaps.push((layers[layer]! + layers[layer + 1]!) / 2);
      if (layer + 1 < to) {
        const through = points.find((p) => Math.abs(p.y - layers[layer + 1]!) < 1);
        lanes.push(through?.x ?? lanes.at(-1) ?? centre(e.source).x);
      }
    }
    routes.set(e.id, { gaps, lanes });
  }
  return { positions, routes };
}

/** Whether some nodes sit on top of each other (a graph made through the API at 0,0, say). */
export function overlaps(positions: readonly { x: number; y: number }[]): boolean {
  const sorted = [...positions].sort((a, b) => a.x - b.x);
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length && sorted[j]!.x - sorted[i]!.x < NODE_BOX.width; j++) {
      if (Math.abs(sorted[j]!.y - sorted[i]!.y) < NODE_BOX.height / 2) return true;
    }
  }
  return false;
}

/**
 * The SVG path of a routed edge between its output (sx, sy) and its target's input (tx, ty),
 * or null when the nodes moved since the layout and the route no longer fits between them.
 */
export function routedPath(route: EdgeRoute, sx: number, sy: number, tx: number, ty: number): string | null {
  const { gaps, lanes } = route;
  if (gaps.length === 0 || sy > gaps[0]! || ty < gaps.at(-1)!) return null;
  let d = `M ${sx} ${sy} V ${gaps[0]}`;
  lanes.forEach((x, i) => {
    d += ` H ${x} V ${gaps[i + 1]}`;
  });
  return `${d} H ${tx} V ${ty}`;
}

/**
 * The free place nearest to `at` (a node's top-left) for a new node: on a grid of half node
 * boxes around it, the closest spot whose box overlaps no node of `taken` (else `at`).
 */
export function freeSpot(
  at: { x: number; y: number },
  taken: readonly { x: number; y: number }[],
): { x: number; y: number } {
  const { width, height } = NODE_BOX;
  const clear = (p: { x: number; y: number }) =>
    taken.every((t) => Math.abs(t.x - p.x) >= width || Math.abs(t.y - p.y) >= height);
  const spots: { x: number; y: number; d: number }[] = [];
  for (let i = -12; i <= 12; i++)
    for (let j = -12; j <= 12; j++)
      spots.push({
        x: at.x + (i * width) / 2,
        y: at.y + (j * height) / 2,
        d: i * i * width * width + j * j * height * height,
      });
  spots.sort((a, b) => a.d - b.d);
  const spot = spots.find(clear);
  return spot ? { x: spot.x, y: spot.y } : at;
}
