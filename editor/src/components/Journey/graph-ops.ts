import type { CatalogueNode } from '../../lib/api/types/catalogue.ts';
import type { Catalogue } from '../../lib/catalogue/catalogue.svelte.ts';
import { drawnOutputs } from '../../lib/catalogue/outputs.ts';
import { parseGraph, reidentify, subgraph } from '../../lib/graph/clipboard.ts';
import { type FlowEdge, type FlowNode, newId, toFlowEdge, toFlowNode, toGraph } from '../../lib/graph/convert.ts';
import { isEstimated, withoutEstimate } from '../../lib/graph/estimate.ts';
import { layeredLayout, overlaps } from '../../lib/graph/layout.ts';
import { type ConnectProblem, connectProblem } from '../../lib/graph/reach.ts';
import { defaults } from '../../lib/schema/fields.ts';
import type { JourneyEditor } from './journey-editor.svelte.ts';

/** A new edge's ends: the output it leaves `source` by (`sourceHandle`) and the node it enters. */
export type NewEdge = { source: string; target: string; sourceHandle?: string | null };

/** Edits of the canvas as a whole: add, delete, copy and paste, layout, upgrade. */
export class GraphOps {
  constructor(
    private readonly editor: JourneyEditor,
    private readonly catalogue: Catalogue,
  ) {}

  add(def: CatalogueNode, position: { x: number; y: number }): string {
    const ed = this.editor;
    const id = newId('n', new Set(ed.nodes.map((n) => n.id)));
    const node: FlowNode = {
      ...toFlowNode({ id, type: def.type, version: def.version, params: defaults(def.params), position }),
      selected: true,
    };
    ed.nodes = [...ed.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node];
    return id;
  }

  select(id: string): void {
    const ed = this.editor;
    ed.nodes = ed.nodes.map((n) => ((n.id === id) !== !!n.selected ? { ...n, selected: n.id === id } : n));
  }

  /**
   * Why the edge `conn` may not be drawn, or null: the one check of a connection, for a drag
   * (xyflow's isValidConnection) and the keyboard's Connect picker alike.
   */
  connectProblem(conn: NewEdge): ConnectProblem | 'read-only' | null {
    const ed = this.editor;
    if (ed.readOnly) return 'read-only';
    const isTrigger = (id: string) => {
      const node = ed.nodes.find((n) => n.id === id);
      return !!node && this.catalogue.isTrigger(node.data.type);
    };
    return connectProblem(ed.edges, conn, isTrigger);
  }

  /** The outputs node `id` draws as handles (lib/catalogue/outputs.ts), what an edge may leave it by. */
  outputsOf(id: string): string[] {
    const ed = this.editor;
    const node = ed.nodes.find((n) => n.id === id);
    if (!node) return [];
    const { type, version, params, settings } = node.data;
    const errorWired = ed.edges.some((e) => e.source === id && e.sourceHandle === 'error');
    return drawnOutputs(this.catalogue.outputs(type, version, params), settings?.onError, errorWired);
  }

  /** The edge `conn` with our own id (short, readable) instead of xyflow's generated one. */
  newEdge(conn: NewEdge): FlowEdge {
    const taken = new Set(this.editor.edges.map((e) => e.id));
    return {
      id: newId('e', taken),
      source: conn.source,
      target: conn.target,
      sourceHandle: conn.sourceHandle ?? 'out',
    };
  }

  /** Adds the edge `conn` unless connectProblem refuses it; what refused it, or null once added. */
  connect(conn: NewEdge): ConnectProblem | 'read-only' | null {
    const problem = this.connectProblem(conn);
    if (problem === null) this.editor.edges = [...this.editor.edges, this.newEdge(conn)];
    return problem;
  }

  deleteSelected(): void {
    const ed = this.editor;
    const gone = new Set(ed.nodes.filter((n) => n.selected).map((n) => n.id));
    ed.nodes = ed.nodes.filter((n) => !gone.has(n.id));
    ed.edges = ed.edges.filter((e) => !e.selected && !gone.has(e.source) && !gone.has(e.target));
  }

  /** The selection as graph JSON, the same shape the API stores. */
  copy(): string | null {
    const ed = this.editor;
    const ids = new Set(ed.selected.map((n) => n.id));
    if (ids.size === 0) return null;
    return JSON.stringify(subgraph(toGraph(ed.nodes, ed.edges), ids), null, 2);
  }

  /** Pastes graph JSON with fresh ids, selected so it can be dragged away at once. */
  paste(text: string): boolean {
    const graph = parseGraph(text);
    if (!graph || graph.nodes.length === 0) return false;
    const ed = this.editor;
    const fresh = reidentify(graph, new Set([...ed.nodes.map((n) => n.id), ...ed.edges.map((e) => e.id)]));
    ed.nodes = [
      ...ed.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)),
      ...fresh.nodes.map((n) => ({ ...toFlowNode(n), selected: true })),
    ];
    ed.edges = [...ed.edges, ...fresh.edges.map(toFlowEdge)];
    return true;
  }

  /** Lays the graph out top-down and routes its edges around the node boxes. */
  layout(): void {
    const ed = this.editor;
    const { positions, routes } = layeredLayout(
      ed.nodes.map((n) => n.id),
      ed.edges,
    );
    ed.nodes = ed.nodes.map((n) => ({ ...n, position: positions.get(n.id) ?? n.position }));
    ed.routes = routes;
  }

  /**
   * On showing a graph: when `layOutOverlaps` (it was just opened) one whose nodes overlap (made
   * through the API at 0,0, say) is laid out; otherwise the edges between nodes still where a layout put them get its routes back (the
   * layout is deterministic, so routes need not be stored with the graph).
   */
  arrange(layOutOverlaps = false): void {
    const ed = this.editor;
    if (layOutOverlaps && ed.nodes.length > 1 && overlaps(ed.nodes.map((n) => n.position))) {
      this.layout();
      return;
    }
    const { positions, routes } = layeredLayout(
      ed.nodes.map((n) => n.id),
      ed.edges,
    );
    const placed = new Set(
      ed.nodes
        .filter((n) => {
          const at = positions.get(n.id);
          return !!at && Math.abs(at.x - n.position.x) <= 1 && Math.abs(at.y - n.position.y) <= 1;
        })
        .map((n) => n.id),
    );
    const kept = ed.edges.filter((e) => placed.has(e.source) && placed.has(e.target) && routes.has(e.id));
    ed.routes = new Map(kept.map((e) => [e.id, routes.get(e.id)!]));
  }

  /** Nodes that start moving take their edges' routes with them (xyflow draws those edges again). */
  unroute(nodeIds: readonly string[]): void {
    const ed = this.editor;
    const moved = new Set(nodeIds);
    const stale = ed.edges.filter((e) => ed.routes.has(e.id) && (moved.has(e.source) || moved.has(e.target)));
    if (stale.length === 0) return;
    const routes = new Map(ed.routes);
    for (const e of stale) routes.delete(e.id);
    ed.routes = routes;
  }

  /** Drawn nodes lose their estimated box (lib/graph/estimate.ts); the ids of those that had one. */
  drawn(ids: ReadonlySet<string>): string[] {
    const ed = this.editor;
    const dropped = ed.nodes.filter((n) => ids.has(n.id) && isEstimated(n)).map((n) => n.id);
    if (dropped.length > 0) ed.nodes = ed.nodes.map((n) => (ids.has(n.id) && isEstimated(n) ? withoutEstimate(n) : n));
    return dropped;
  }

  /** Moves a node to the newest version of its type; params stay and the form shows what no longer fits. */
  upgrade(id: string): void {
    const ed = this.editor;
    ed.nodes = ed.nodes.map((n) => {
      const newest = this.catalogue.newest.get(n.data.type);
      return n.id === id && newest ? { ...n, data: { ...n.data, version: newest.version } } : n;
    });
  }
}
