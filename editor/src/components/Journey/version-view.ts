import type { Api } from '../../lib/api/client.ts';
import type { GraphDiff, JourneyVersion } from '../../lib/api/types/journeys.ts';
import { type FlowEdge, type FlowNode, toFlow } from '../../lib/graph/convert.ts';
import { BIG_JOURNEY } from '../../lib/graph/estimate.ts';
import { errorMessage } from '../../lib/util/format.ts';
import type { JourneyEditor } from './journey-editor.svelte.ts';

/**
 * Published versions shown read-only on the canvas, the draft waiting aside untouched meanwhile,
 * and the draft's diff against the published version. A failure shows as the editor's notice.
 */
export class VersionView {
  #stash: { nodes: FlowNode[]; edges: FlowEdge[] } | null = null;

  constructor(
    private readonly editor: JourneyEditor,
    private readonly api: Api,
  ) {}

  /** Shows published `version` read-only. */
  async show(version: number): Promise<void> {
    const ed = this.editor;
    try {
      await ed.autosave.save();
      const res = await this.api.get<JourneyVersion>(`/api/journeys/${ed.id}/versions/${version}`);
      if (ed.viewing === 'draft') this.#stash = { nodes: ed.nodes, edges: ed.edges };
      const flow = toFlow(res.graph);
      ed.viewing = version;
      ed.diff = null;
      ed.nodes = flow.nodes;
      ed.edges = flow.edges;
      ed.ops.arrange(true);
      ed.estimate();
    } catch (error) {
      ed.notice = errorMessage(error);
    }
  }

  /** Back to the draft, as it was left. */
  showDraft(): void {
    const ed = this.editor;
    if (ed.viewing === 'draft' || !this.#stash) return;
    ed.nodes = this.#stash.nodes;
    ed.edges = this.#stash.edges;
    this.#stash = null;
    ed.viewing = 'draft';
    ed.ops.arrange();
    // The draft's nodes never drawn keep their estimates, those now on screen among them too.
    if (ed.nodes.length > BIG_JOURNEY) ed.shown++;
  }

  /** The draft's changes since the published version, marked on the canvas (`editor.diff`). */
  async loadDiff(): Promise<void> {
    const ed = this.editor;
    if (!ed.publishedVersion) return;
    try {
      await ed.autosave.save();
      ed.diff = await this.api.get<GraphDiff>(`/api/journeys/${ed.id}/diff`, {
        from: ed.publishedVersion,
        to: 'draft',
      });
    } catch (error) {
      ed.notice = errorMessage(error);
    }
  }
}
