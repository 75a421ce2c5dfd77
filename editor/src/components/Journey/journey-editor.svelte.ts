import { createContext, untrack } from 'svelte';
import type { Api } from '../../lib/api/client.ts';
import type { CatalogueNode } from '../../lib/api/types/catalogue.ts';
import type { GraphDiff, GraphError, Journey, JourneySettings, NodeSettings } from '../../lib/api/types/journeys.ts';
import type { JsonObject } from '../../lib/api/types/json.ts';
import type { Catalogue } from '../../lib/catalogue/catalogue.svelte.ts';
import { type FlowEdge, type FlowNode, toFlow, toGraph } from '../../lib/graph/convert.ts';
import { BIG_JOURNEY, withEstimate } from '../../lib/graph/estimate.ts';
import { GraphHistory } from '../../lib/graph/history.svelte.ts';
import type { EdgeRoute } from '../../lib/graph/layout.ts';
import { nodeNames } from '../../lib/graph/names.ts';
import { readableProblems } from '../../lib/graph/problem-words.ts';
import { debounce } from '../../lib/util/debounce.ts';
import { errorMessage } from '../../lib/util/format.ts';
import { DraftAutosave } from './draft-autosave.svelte.ts';
import { GraphOps } from './graph-ops.ts';
import { JourneyRecord } from './journey-record.ts';
import { type Flow, withParams, withSettings } from './node-edits.ts';
import { VersionView } from './version-view.ts';

/**
 * One journey open on the canvas: its draft graph (xyflow nodes and edges in `$state.raw`), undo
 * history and validation. Saving the draft is its `autosave` (draft-autosave.svelte.ts), showing
 * published versions its `versionView` (version-view.ts); publishing and the journey's name, tags
 * and status are its `record` (journey-record.ts).
 */
export class JourneyEditor {
  journey = $state.raw<Journey | null>(null);
  settings = $state.raw<JourneySettings>({});
  nodes = $state.raw<FlowNode[]>([]);
  edges = $state.raw<FlowEdge[]>([]);
  /** Edge routes of the last layout, by edge id (lib/graph/layout.ts). */
  routes = $state.raw<Map<string, EdgeRoute>>(new Map());
  loadError = $state<string | null>(null);
  /** 'draft', or the number of a published version shown read-only. */
  viewing = $state<'draft' | number>('draft');
  /** The server's problems with the draft, as it gave them. */
  #problems = $state.raw<GraphError[]>([]);
  /** Those problems worded for the canvas, worded anew once the catalogue (the titles) arrives. */
  errors = $derived(this.readable(this.#problems));
  valid = $state<boolean | null>(null);
  diff = $state.raw<GraphDiff | null>(null);
  busy = $state<string | null>(null);
  /** How often a big graph was shown anew, its nodes (on screen too) with estimated boxes (lib/graph/estimate.ts). */
  shown = $state(0);
  notice = $state<string | null>(null);
  readonly history = new GraphHistory();
  readonly ops: GraphOps;
  /** The journey's record apart from its draft: publish, rename, tags, pause and resume. */
  readonly record: JourneyRecord;
  readonly autosave: DraftAutosave;
  readonly versionView: VersionView;

  /**
   * Why the principal may not change the draft (the missing permission, session.reasonFor), or
   * undefined: set by the page, it makes the draft read-only like a published version.
   */
  writeReason = $state<string | undefined>(undefined);
  readOnly = $derived(this.viewing !== 'draft' || this.writeReason !== undefined);
  graphJson = $derived(JSON.stringify(toGraph(this.nodes, this.edges)));
  /** What a save writes, graph and settings: a change of it is a change to save. */
  saveKey = $derived(`${this.graphJson}\n${JSON.stringify(this.settings)}`);
  versions = $derived((this.journey?.versions ?? []).map((v) => v.version).sort((a, b) => b - a));
  publishedVersion = $derived(this.journey?.publishedVersion ?? this.versions[0] ?? null);
  status = $derived(this.journey?.status ?? (this.publishedVersion ? 'live' : 'draft'));
  selected = $derived(this.nodes.filter((n) => n.selected));

  #recordSoon = debounce(() => this.history.record(this.graphJson), 250);

  constructor(
    private readonly api: Api,
    readonly catalogue: Catalogue,
  ) {
    this.ops = new GraphOps(this, catalogue);
    this.record = new JourneyRecord(this, api);
    this.autosave = new DraftAutosave(this, api);
    this.versionView = new VersionView(this, api);
    // Every change of graph or settings, whatever made it (drag, form, undo), flows through here.
    $effect(() => {
      const key = this.saveKey;
      if (!this.autosave.open || this.readOnly) return;
      untrack(() => {
        this.#recordSoon();
        this.autosave.changed(key);
      });
    });
  }

  get id(): string {
    return this.journey?.id ?? '';
  }

  async load(id: string): Promise<void> {
    this.autosave.open = false;
    try {
      const { body: journey, etag } = await this.api.tagged<Journey>('GET', `/api/journeys/${id}`);
      const flow = toFlow(journey.draft?.graph ?? { nodes: [], edges: [] });
      this.journey = journey;
      this.autosave.knows(journey, etag);
      this.settings = journey.draft?.settings ?? {};
      this.nodes = flow.nodes;
      this.edges = flow.edges;
      this.viewing = 'draft';
      this.autosave.saved(this.saveKey);
      // After that: a graph laid out on opening is saved laid out.
      this.ops.arrange(true);
      this.estimate();
      this.history.reset(this.graphJson);
      this.autosave.status = 'saved';
      this.loadError = null;
      this.autosave.open = true;
      void this.validate(true);
    } catch (error) {
      this.loadError = errorMessage(error);
    }
  }

  /** Validates the saved draft; `quiet` runs after each save and keeps errors pinned as you edit. */
  async validate(quiet = false): Promise<void> {
    // Validating needs journeys:write: a role without it is not sent to be refused.
    if (this.writeReason !== undefined) return;
    if (!quiet) {
      await this.autosave.save();
      this.busy = 'Validating…';
    }
    try {
      const res = await this.api.post<{ valid: boolean; errors?: GraphError[] }>(`/api/journeys/${this.id}/validate`);
      this.valid = res.valid;
      this.showProblems(res.errors ?? []);
      if (!quiet) this.notice = res.valid ? 'The draft is valid.' : `${this.errors.length} problem(s) found.`;
    } catch (error) {
      if (!quiet) this.notice = errorMessage(error);
    } finally {
      if (!quiet) this.busy = null;
    }
  }

  setSettings(settings: JourneySettings): void {
    this.settings = settings;
  }

  undo(): void {
    this.#recordSoon.flush();
    const snapshot = this.history.undo();
    if (snapshot) this.#restore(snapshot);
  }

  redo(): void {
    const snapshot = this.history.redo();
    if (snapshot) this.#restore(snapshot);
  }

  #restore(snapshot: string): void {
    const flow = toFlow(JSON.parse(snapshot));
    this.nodes = flow.nodes;
    this.edges = flow.edges;
    this.ops.arrange();
    this.estimate();
  }

  /** A big graph just shown opens with estimated node boxes, so xyflow draws only what is in view. */
  estimate(): void {
    if (this.nodes.length <= BIG_JOURNEY) return;
    const outputs = (n: FlowNode) =>
      this.catalogue.outputs(n.data.type, n.data.version, n.data.params).filter((o) => o !== '' && o !== 'error');
    this.nodes = withEstimate(this.nodes, this.edges, outputs);
    this.shown++;
  }

  /** The server's problems with the draft, worded for the canvas (node titles, no pointers). */
  showProblems(errors: GraphError[]): void {
    this.#problems = errors;
  }

  /** Problems the server found in this graph, worded for the canvas (`lib/graph/problem-words.ts`). */
  readable(errors: GraphError[]): GraphError[] {
    return readableProblems(errors, (nodeId) =>
      this.nodes.some((n) => n.id === nodeId) ? this.titleOf(nodeId) : undefined,
    );
  }

  /**
   * A node as the canvas names it, its type's title, for lists that name nodes (problems, a run's
   * steps, an edge's accessible name); with its id when another node of the graph has the same
   * title (lib/graph/names.ts). An unknown id as is.
   */
  titleOf(nodeId: string): string {
    return this.names().get(nodeId) ?? nodeId;
  }

  /** Every node's name as titleOf gives it, by id: one pass for many names. */
  names(): Map<string, string> {
    return nodeNames(this.nodes, (n) => this.catalogue.find(n.data.type, n.data.version)?.title ?? n.data.type);
  }

  errorsFor(nodeId: string): GraphError[] {
    return this.errors.filter((e) => e.nodeId === nodeId);
  }

  /** Flushes a pending save (leaving the page must not lose the last edit). */
  flush(): void {
    this.#recordSoon.flush();
    this.autosave.flush();
  }

  addNode(def: CatalogueNode, position: { x: number; y: number }): void {
    this.ops.add(def, position);
  }

  /** Sets a node's failure handling (undefined: none), as node-edits.ts has it. */
  updateSettings(id: string, settings: NodeSettings | undefined): void {
    this.#apply(withSettings(this, id, settings));
  }

  updateParams(id: string, params: JsonObject): void {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) return;
    const { type, version } = node.data;
    const outputs = {
      before: this.catalogue.outputs(type, version, node.data.params),
      after: this.catalogue.outputs(type, version, params),
    };
    this.#apply(withParams(this, id, params, outputs));
  }

  #apply(flow: Flow): void {
    this.nodes = flow.nodes;
    this.edges = flow.edges;
  }
}

export const [getEditor, setEditor] = createContext<JourneyEditor>();
