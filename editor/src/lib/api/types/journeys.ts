/** Journeys, their graphs, settings and versions as the editor reads them (shared/API.md). */

import type {
  JourneyGoal as EngineJourneyGoal,
  JourneySettings as EngineJourneySettings,
} from '../../../../../engine/graph/types.ts';
import type { JourneyTemplate as EngineJourneyTemplate } from '../../../../../engine/journey-templates/build.ts';
import type {
  JourneyDraft as EngineJourneyDraft,
  JourneyVersion as EngineJourneyVersion,
  JourneyAnswer,
} from '../../../../../engine/journeys/types.ts';
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

/** A starting point of "Create journey" (GET /api/journey-templates), its settings read as a draft's. */
export type JourneyTemplate = Omit<EngineJourneyTemplate, 'settings'> & { settings?: JourneySettings };

/** A journey's draft (its graph and settings), its settings read as above. */
export type JourneyDraft = Omit<EngineJourneyDraft, 'settings'> & { settings: JourneySettings };

/** A journey as its routes answer it (`GET /api/journeys/:id` and the rest), its draft read as above. */
export type Journey = Omit<JourneyAnswer, 'draft'> & { draft: JourneyDraft };

/** A published version (`GET /api/journeys/:id/versions/:v`), its settings read as a draft's. */
export type JourneyVersion = Omit<EngineJourneyVersion, 'settings'> & { settings: JourneySettings };

/** What changed between two versions' graphs, as the engine computes it. */
export type { GraphDiff } from '../../../../../engine/graph/diff.ts';
/** A problem of a graph (a draft's validation): the SDK's error detail. */
export type { ErrorDetail as GraphError } from '../../../../../engine/sdk/src/errors.ts';
