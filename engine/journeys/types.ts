/**
 * The shapes of the journey answers (shared/API.md "Journeys") apart from the code that reads
 * them: no runtime imports, so the editor reads the same types (type-only) without the
 * engine's database code. The journeys table stores `JourneyStatus` as it is here.
 */
import type { JourneyGraph, JourneySettings } from '../graph/types.js';

export type JourneyStatus = 'draft' | 'live' | 'paused' | 'archived';

/** A journey's draft as its answers carry it: the graph being edited and its settings. */
export interface JourneyDraft {
  graph: JourneyGraph;
  settings: JourneySettings;
}

/** A journey as the API shows it: its draft, its published versions and where it stands. */
export interface Journey {
  id: string;
  name: string;
  status: JourneyStatus;
  publishedVersion: number | null;
  tags: string[];
  draft: JourneyDraft;
  /** Which save of the draft this is (not in the answer's body: its ETag, server/README.md). */
  draftRevision: number;
  versions: { version: number; publishedAt: string }[];
  createdAt: string;
  updatedAt: string;
  archivedAt: string | null;
}

/**
 * A journey as its routes answer it (`GET`, `PATCH /api/journeys/:id`, `PUT …/draft`, `POST
 * /api/journeys`, pause and resume): the draft's revision is the answer's ETag, not its body.
 */
export type JourneyAnswer = Omit<Journey, 'draftRevision'>;

/** A journey in the list: no graph. */
export interface JourneySummary {
  id: string;
  name: string;
  status: JourneyStatus;
  publishedVersion: number | null;
  tags: string[];
  updatedAt: string;
}

/** A published, immutable version of a journey. */
export interface JourneyVersion {
  version: number;
  graph: JourneyGraph;
  settings: JourneySettings;
  publishedAt: string;
  /** The installed package versions it runs (`{ name: version }`; `{}` when none). */
  packages: Record<string, string>;
}
