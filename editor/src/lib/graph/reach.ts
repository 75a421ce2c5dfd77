import type { GraphEdge } from '../api/types/journeys.ts';

type EdgeLike = Pick<GraphEdge, 'source' | 'target'>;

/** True when `to` can be reached from `from` by following edges. */
export function reaches(edges: readonly EdgeLike[], from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === to) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const e of edges) if (e.source === id) stack.push(e.target);
  }
  return false;
}

/** Every node upstream of `id`: the steps whose output a template at `id` may read. */
export function ancestors(edges: readonly EdgeLike[], id: string): string[] {
  const seen = new Set<string>();
  const stack = [id];
  while (stack.length > 0) {
    const current = stack.pop()!;
    for (const e of edges) {
      if (e.target === current && !seen.has(e.source)) {
        seen.add(e.source);
        stack.push(e.source);
      }
    }
  }
  seen.delete(id);
  return [...seen];
}

/** Why a new edge may not be drawn: to itself, into a trigger, a second one alike, or closing a loop. */
export type ConnectProblem = 'self' | 'trigger' | 'duplicate' | 'loop';

/**
 * What keeps a new edge source→target from leaving the graph a DAG that enters no trigger, or
 * null when nothing does. Refused while dragging (and in the keyboard's Connect picker), so an
 * invalid edge is never drawn rather than reported at publish.
 */
export function connectProblem(
  edges: readonly (EdgeLike & { sourceHandle?: string | null })[],
  conn: { source: string; target: string; sourceHandle?: string | null },
  isTrigger: (nodeId: string) => boolean,
): ConnectProblem | null {
  if (conn.source === conn.target) return 'self';
  if (isTrigger(conn.target)) return 'trigger';
  const duplicate = edges.some(
    (e) =>
      e.source === conn.source && e.target === conn.target && (e.sourceHandle ?? null) === (conn.sourceHandle ?? null),
  );
  if (duplicate) return 'duplicate';
  return reaches(edges, conn.target, conn.source) ? 'loop' : null;
}
