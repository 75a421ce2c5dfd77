/** Journeys, their graphs, settings and versions as the editor reads them (shared/API.md). */

import type { Filter } from '../../filter/types.ts';
import type { JsonObject } from './json.ts';

export interface GraphNode {
  id: string;
  type: string;
  version: number;
  params: JsonObject;
  position: { x: number; y: number };
  settings?: NodeSettings;
}

/** A node's failure handling (API.md "Node settings"). */
export interface NodeSettings {
  onError?: 'fail' | 'continue' | 'output';
  retry?: { attempts?: number; backoff?: string; maxBackoff?: string };
}

export interface GraphEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface JourneySettings {
  reentry?: 'always' | 'once' | 'once-at-a-time';
  exitOn?: string[];
  webhookRateLimit?: { max: number; window: string };
  /** At most this many runs ever enter. */
  maxEntries?: number | null;
  /** At most `count` runs enter per `perSeconds`; later ones wait their turn. */
  entryRate?: FlowRate | null;
  /** At most `count` of the journey's messages go out per `perSeconds`. */
  sendRate?: FlowRate | null;
  /** The event that counts as a conversion (contracts/experiments.md); null: none. */
  goal?: JourneyGoal | null;
}

export interface JourneyGoal {
  event: string;
  /** Over the event's `properties`, as a `core.event` trigger's filter. */
  filter?: Filter;
  windowSeconds: number;
  exitOnGoal?: boolean;
}

export interface FlowRate {
  count: number;
  perSeconds: number;
}

export type JourneyStatus = 'draft' | 'live' | 'paused';

export interface JourneySummary {
  id: string;
  name: string;
  status: JourneyStatus;
  publishedVersion: number | null;
  tags: string[];
  updatedAt: string;
}

/** API.md leaves the version list's items open: numbers or objects carrying `version`. */
export type VersionEntry = number | { version: number; publishedAt?: string };

/** A starting point of "Create journey" (GET /api/journey-templates). */
export interface JourneyTemplate {
  id: string;
  name: string;
  description: string;
  graph: Graph;
  settings?: Partial<JourneySettings>;
}

export interface Journey {
  id: string;
  name: string;
  status?: JourneyStatus;
  publishedVersion?: number | null;
  tags?: string[];
  draft: { graph: Graph; settings?: JourneySettings };
  versions: VersionEntry[];
}

export interface JourneyVersion {
  version: number;
  graph: Graph;
  settings: JourneySettings;
  publishedAt: string;
}

export interface GraphError {
  nodeId?: string;
  edgeId?: string;
  path?: string;
  message: string;
}

export interface GraphDiff {
  nodes: { added: string[]; removed: string[]; changed: { id: string; paths: string[] }[] };
  edges: { added: string[]; removed: string[] };
}
