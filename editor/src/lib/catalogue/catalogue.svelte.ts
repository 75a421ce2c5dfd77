import { createContext } from 'svelte';
import type { Api } from '../api/client.ts';
import type { CatalogueNode } from '../api/types/catalogue.ts';
import type { JsonObject } from '../api/types/json.ts';
import { SummaryRenderer } from '../summary/summary.ts';
import { outputsFor } from './outputs.ts';

/** The node types of `GET /api/nodes`, looked up by type and version. */
export class Catalogue {
  nodes = $state.raw<CatalogueNode[]>([]);
  error = $state<string | null>(null);
  loaded = $state(false);

  /** Newest version of each type: what the palette offers and what "Upgrade" moves to. */
  newest = $derived.by(() => {
    const map = new Map<string, CatalogueNode>();
    for (const node of this.nodes) {
      const seen = map.get(node.type);
      if (!seen || seen.version < node.version) map.set(node.type, node);
    }
    return map;
  });

  private readonly summaries = new SummaryRenderer();

  constructor(private readonly api: Api) {}

  async load(): Promise<void> {
    try {
      const res = await this.api.get<{ nodes: CatalogueNode[] }>('/api/nodes');
      this.nodes = res.nodes;
      this.error = null;
      this.loaded = true;
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  /** The exact type and version, else the newest of the type (an unknown version still draws). */
  find(type: string, version?: number): CatalogueNode | undefined {
    return this.nodes.find((n) => n.type === type && n.version === version) ?? this.newest.get(type);
  }

  exact(type: string, version: number): CatalogueNode | undefined {
    return this.nodes.find((n) => n.type === type && n.version === version);
  }

  isTrigger(type: string): boolean {
    return this.find(type)?.kind === 'trigger';
  }

  outputs(type: string, version: number, params: JsonObject): string[] {
    return outputsFor(type, this.find(type, version), params);
  }

  /** The node's one-line summary for these params ('' when its type declares none). */
  summary(type: string, version: number, params: JsonObject): string {
    return this.summaries.render(this.find(type, version)?.summary, params);
  }
}

export const [getCatalogue, setCatalogue] = createContext<Catalogue>();
