/** Journeys, their graphs, settings and versions as the editor reads them (shared/API.md). */

import type {
  JourneyGoal as EngineJourneyGoal,
  JourneySettings as EngineJourneySettings,
  JourneyGraph as Graph,
} from '../../../../../engine/graph/types.ts';
import type { JourneyStatus } from '../../../../../engine/journeys/types.ts';
import type { Filter } from '../../filter/types.ts';

// A graph and its settings are typed once, in the engine (type-only: nothing of it is bundled).
export type {
  FlowRate,
  GraphEdge,
  GraphNode,
  JourneyGraph as Graph,
  NodeSettings,
} from '../../../../../engine/graph/types.ts';

/** The conversion goal (contracts/experiments.md), its filter read as the filter language. */
export type JourneyGoal = Omit<EngineJourneyGoal, 'filter'> & { filter?: Filter };

/** A journey's settings as a draft holds them: any may still be unset; the goal as above. */
export type JourneySettings = Partial<Omit<EngineJourneySettings, 'goal'>> & { goal?: JourneyGoal | null };

// A journey's status and its list entry, typed once in the engine (type-only, as above).
export type { JourneyStatus, JourneySummary } from '../../../../../engine/journeys/types.ts';

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
