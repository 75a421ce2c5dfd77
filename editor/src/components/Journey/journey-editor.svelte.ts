import { createContext, untrack } from 'svelte';
import { type Api, ApiError } from '../../lib/api/client.ts';
import type { CatalogueNode } from '../../lib/api/types/catalogue.ts';
import type {
  GraphDiff,
  GraphError,
  Journey,
  JourneySettings,
  JourneyVersion,
  NodeSettings,
} from '../../lib/api/types/journeys.ts';
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
import { DraftGuard } from './draft-guard.ts';
import { GraphOps } from './graph-ops.ts';
import { JourneyRecord } from './journey-record.ts';

/** `conflict`: the server's draft changed elsewhere since this page read it; nothing is saved over it unasked. */
export type SaveStatus = 'saved' | 'pending' | 'saving' | 'error' | 'conflict';

export function versionNumber(entry: Journey['versions'][number]): number {
  return typeof entry === 'number' ? entry : entry.version;
}

/**
 * One journey open on the canvas: its draft graph (xyflow nodes and edges in `$state.raw`),
 * autosave, undo history, validation and read-only views of published versions; publishing and
 * the journey's name, tags and status are its `record` (journey-record.ts).
 */
export class JourneyEditor {
  journey = $state.raw<Journey | null>(null);
  settings = $state.raw<JourneySettings>({});
  nodes = $state.raw<FlowNode[]>([]);
  edges = $state.raw<FlowEdge[]>([]);
  /** Edge routes of the last layout, by edge id (lib/graph/layout.ts). */
  routes = $state.raw<Map<string, EdgeRoute>>(new Map());
  loadError = $state<string | null>(null);
  saveStatus = $state<SaveStatus>('saved');
  saveError = $state<string | null>(null);
  /** The last refused save's details by pointer (`/settings/goal/event`): shown at their fields. */
  saveProblems = $state.raw<GraphError[]>([]);
  /** 'draft', or the number of a published version shown read-only. */
  viewing = $state<'draft' | number>('draft');
  errors = $state.raw<GraphError[]>([]);
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

  /**
   * Why the principal may not change the draft (the missing permission, session.reasonFor), or
   * undefined: set by the page, it makes the draft read-only like a published version.
   */
  writeReason = $state<string | undefined>(undefined);
  readOnly = $derived(this.viewing !== 'draft' || this.writeReason !== undefined);
  graphJson = $derived(JSON.stringify(toGraph(this.nodes, this.edges)));
  #saveKey = $derived(`${this.graphJson}\n${JSON.stringify(this.settings)}`);
  versions = $derived((this.journey?.versions ?? []).map(versionNumber).sort((a, b) => b - a));
  publishedVersion = $derived(this.journey?.publishedVersion ?? this.versions[0] ?? null);
  status = $derived(this.journey?.status ?? (this.publishedVersion ? 'live' : 'draft'));
  selected = $derived(this.nodes.filter((n) => n.selected));

  #loaded = false;
  #lastSaved = '';
  #inflight: Promise<void> = Promise.resolve();
  #stash: { nodes: FlowNode[]; edges: FlowEdge[] } | null = null;
  #saveSoon = debounce(() => void this.save(), 800);
  #guard: DraftGuard;
  #recordSoon = debounce(() => this.history.record(this.graphJson), 250);

  constructor(
    private readonly api: Api,
    readonly catalogue: Catalogue,
  ) {
    this.ops = new GraphOps(this, catalogue);
    this.record = new JourneyRecord(this, api);
    this.#guard = new DraftGuard(api);
    // Every change of graph or settings, whatever made it (drag, form, undo), flows through here.
    $effect(() => {
      const key = this.#saveKey;
      if (!this.#loaded || this.readOnly) return;
      untrack(() => {
        this.#recordSoon();
        if (key !== this.#lastSaved) {
          this.saveStatus = 'pending';
          this.#saveSoon();
        }
      });
    });
  }

  get id(): string {
    return this.journey?.id ?? '';
  }

  async load(id: string): Promise<void> {
    this.#loaded = false;
    try {
      const { body: journey, etag } = await this.api.tagged<Journey>('GET', `/api/journeys/${id}`);
      const flow = toFlow(journey.draft?.graph ?? { nodes: [], edges: [] });
      this.journey = journey;
      this.#guard.knows(journey, etag);
      this.saveError = null;
      this.settings = journey.draft?.settings ?? {};
      this.nodes = flow.nodes;
      this.edges = flow.edges;
      this.viewing = 'draft';
      this.#lastSaved = this.#saveKey;
      // After #lastSaved: a graph laid out on opening is saved laid out.
      this.ops.arrange(true);
      this.#estimate();
      this.history.reset(this.graphJson);
      this.saveStatus = 'saved';
      this.loadError = null;
      this.#loaded = true;
      void this.validate(true);
    } catch (error) {
      this.loadError = errorMessage(error);
    }
  }

  /**
   * PUTs the draft; saves are chained so an older body never lands after a newer one. A draft
   * changed elsewhere meanwhile is not saved over (`conflict`) unless `overwrite`.
   */
  save({ overwrite = false }: { overwrite?: boolean } = {}): Promise<void> {
    this.#saveSoon.cancel();
    this.#inflight = this.#inflight.then(() => this.#put(overwrite));
    return this.#inflight;
  }

  async #put(overwrite: boolean): Promise<void> {
    const key = this.#saveKey;
    if (!this.#loaded || this.readOnly || key === this.#lastSaved) return;
    this.saveStatus = 'saving';
    try {
      if (!overwrite && !(await this.#guard.unchanged(this.id))) return this.#changedElsewhere();
      const body = { graph: JSON.parse(this.graphJson), settings: this.settings };
      // Keep mine (`overwrite`) saves over whatever is there: no If-Match.
      const ifMatch = overwrite ? undefined : this.#guard.etag;
      const saved = await this.api.tagged<Journey | undefined>('PUT', `/api/journeys/${this.id}/draft`, {
        body,
        ifMatch,
      });
      this.#guard.knows(saved.body?.draft ? saved.body : { ...(this.journey as Journey), draft: body }, saved.etag);
      this.#lastSaved = key;
      this.saveError = null;
      this.saveProblems = [];
      this.saveStatus = this.#saveKey === key ? 'saved' : 'pending';
      void this.validate(true);
    } catch (error) {
      // 412: a save elsewhere landed between the check above and this PUT.
      if (error instanceof ApiError && error.code === 'precondition_failed') return this.#changedElsewhere();
      this.saveStatus = 'error';
      this.saveError = errorMessage(error);
      this.saveProblems = error instanceof ApiError ? error.details : [];
    }
  }

  #changedElsewhere(): void {
    this.saveStatus = 'conflict';
    this.saveError = 'Someone changed this draft in another tab or session since it was opened here.';
  }

  /** Validates the saved draft; `quiet` runs after each save and keeps errors pinned as you edit. */
  async validate(quiet = false): Promise<void> {
    // Validating needs journeys:write: a role without it is not sent to be refused.
    if (this.writeReason !== undefined) return;
    if (!quiet) {
      await this.save();
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

  /** Shows a published version read-only; the draft waits aside untouched. */
  async viewVersion(version: number): Promise<void> {
    try {
      await this.save();
      const res = await this.api.get<JourneyVersion>(`/api/journeys/${this.id}/versions/${version}`);
      if (this.viewing === 'draft') this.#stash = { nodes: this.nodes, edges: this.edges };
      const flow = toFlow(res.graph);
      this.viewing = version;
      this.diff = null;
      this.nodes = flow.nodes;
      this.edges = flow.edges;
      this.ops.arrange(true);
      this.#estimate();
    } catch (error) {
      this.notice = errorMessage(error);
    }
  }

  viewDraft(): void {
    if (this.viewing === 'draft' || !this.#stash) return;
    this.nodes = this.#stash.nodes;
    this.edges = this.#stash.edges;
    this.#stash = null;
    this.viewing = 'draft';
    this.ops.arrange();
    // The draft's nodes never drawn keep their estimates, those now on screen among them too.
    if (this.nodes.length > BIG_JOURNEY) this.shown++;
  }

  async loadDiff(): Promise<void> {
    if (!this.publishedVersion) return;
    try {
      await this.save();
      this.diff = await this.api.get<GraphDiff>(`/api/journeys/${this.id}/diff`, {
        from: this.publishedVersion,
        to: 'draft',
      });
    } catch (error) {
      this.notice = errorMessage(error);
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
    this.#estimate();
  }

  /** A big graph just shown opens with estimated node boxes, so xyflow draws only what is in view. */
  #estimate(): void {
    if (this.nodes.length <= BIG_JOURNEY) return;
    const outputs = (n: FlowNode) =>
      this.catalogue.outputs(n.data.type, n.data.version, n.data.params).filter((o) => o !== '' && o !== 'error');
    this.nodes = withEstimate(this.nodes, this.edges, outputs);
    this.shown++;
  }

  /** The server's problems with the draft, worded for the canvas (node titles, no pointers). */
  showProblems(errors: GraphError[]): void {
    this.errors = this.readable(errors);
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
    this.#saveSoon.flush();
  }

  addNode(def: CatalogueNode, position: { x: number; y: number }): void {
    this.ops.add(def, position);
  }

  /**
   * Sets a node's failure handling (undefined: none). Leaving "Error output" takes the
   * `error` handle away, and the edges that left it with it (publish would refuse them).
   */
  updateSettings(id: string, settings: NodeSettings | undefined): void {
    this.nodes = this.nodes.map((n) => {
      if (n.id !== id) return n;
      const { settings: _old, ...data } = n.data;
      return { ...n, data: settings ? { ...data, settings } : data };
    });
    if (settings?.onError === 'fail' || settings?.onError === 'continue')
      this.edges = this.edges.filter((e) => !(e.source === id && e.sourceHandle === 'error'));
  }

  updateParams(id: string, params: JsonObject): void {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) return;
    const { type, version } = node.data;
    const before = this.catalogue.outputs(type, version, node.data.params);
    const after = this.catalogue.outputs(type, version, params);
    this.nodes = this.nodes.map((n) => (n.id === id ? { ...n, data: { ...n.data, params } } : n));
    // Renaming one split variant keeps its wiring: the edge follows the renamed handle.
    const renamed = before.length === after.length ? before.findIndex((o, i) => o !== after[i]) : -1;
    if (renamed >= 0 && before.filter((o, i) => o !== after[i]).length === 1) {
      const [from, to] = [before[renamed], after[renamed]];
      this.edges = this.edges.map((e) => (e.source === id && e.sourceHandle === from ? { ...e, sourceHandle: to } : e));
    }
  }
}

export const [getEditor, setEditor] = createContext<JourneyEditor>();
