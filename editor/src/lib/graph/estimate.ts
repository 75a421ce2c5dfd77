import { Position } from '@xyflow/svelte';
import type { FlowEdge, FlowNode } from './convert.ts';

/**
 * Past this many nodes the canvas draws only the nodes in view (xyflow's
 * onlyRenderVisibleElements), and they open with an estimated box (below).
 */
export const BIG_JOURNEY = 100;

// The box canvas.css draws: 220 px wide, about 83 tall with a summary and a row of outputs,
// 10 px handles centred on the top edge and under each output along the bottom.
const BOX = { width: 220, height: 83 } as const;
const HANDLE = 10;

/**
 * xyflow draws every node once to measure its box and handles, even with only the visible ones
 * drawn, before it can leave the others out: for a journey of hundreds of nodes that was most of
 * its opening time. A node given a box and handles up front is drawn only once in view; the canvas
 * drops the estimate once it is drawn (`withoutEstimate`), so from then on its measured handles
 * count. The handles are those its edges use (an edge drawn to a handle xyflow does not know is
 * left out), the outputs in the catalogue's order when it is known.
 */
export function withEstimate(
  nodes: readonly FlowNode[],
  edges: readonly FlowEdge[],
  outputsOf: (node: FlowNode) => readonly string[],
): FlowNode[] {
  const used = new Map<string, Set<string>>();
  const targets = new Set<string>();
  for (const e of edges) {
    targets.add(e.target);
    const handles = used.get(e.source) ?? new Set<string>();
    handles.add(e.sourceHandle ?? 'out');
    used.set(e.source, handles);
  }
  return nodes.map((node) => {
    const outputs = [...new Set([...outputsOf(node), ...(used.get(node.id) ?? [])])];
    const column = (BOX.width - 2) / Math.max(outputs.length, 1);
    const handles: NonNullable<FlowNode['handles']> = outputs.map((id, i) => ({
      id,
      type: 'source',
      position: Position.Bottom,
      x: 1 + column * (i + 0.5) - HANDLE / 2,
      y: BOX.height - HANDLE / 2 - 1,
      width: HANDLE,
      height: HANDLE,
    }));
    if (targets.has(node.id)) {
      handles.push({
        id: null,
        type: 'target',
        position: Position.Top,
        x: (BOX.width - HANDLE) / 2,
        y: -HANDLE / 2,
        width: HANDLE,
        height: HANDLE,
      });
    }
    return { ...node, measured: { ...BOX }, handles };
  });
}

/** Whether a node still has its estimated box and handles. */
export const isEstimated = (node: FlowNode): boolean => node.handles !== undefined;

/** The node without its estimated handles: xyflow keeps the ones it measures from then on. */
export function withoutEstimate(node: FlowNode): FlowNode {
  const { handles: _estimate, ...drawn } = node;
  return drawn;
}
