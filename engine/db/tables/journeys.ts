import type { ColumnType, Generated } from 'kysely';
import type { JourneyGraph, JourneySettings } from '../../graph/types.js';
import type { JourneyStatus } from '../../journeys/types.js';
import type { Json, Timestamp } from './foundation.js';

export type { JourneyStatus };

// Timestamp already has an optional insert type, so defaulted time columns need no Generated<>.
/** A journey: its editable draft and, once published, the newest version's number. */
export interface JourneysTable {
  /** The workspace it belongs to. */
  workspace_id: string;
  id: Generated<string>;
  name: string;
  status: Generated<JourneyStatus>;
  draft_graph: Json<JourneyGraph>;
  draft_settings: Json<JourneySettings>;
  /** Counts the draft's changes (graph or settings): the ETag of the journey answers. */
  draft_revision: Generated<number>;
  published_version: number | null;
  /** Labels to file the journey under (deduplicated, in the order given). */
  tags: ColumnType<string[], string[] | undefined, string[]>;
  created_at: Timestamp;
  updated_at: Timestamp;
  archived_at: Timestamp | null;
}

/** An immutable published version; runs are pinned to one. */
export interface JourneyVersionsTable {
  journey_id: string;
  version: number;
  graph: Json<JourneyGraph>;
  settings: Json<JourneySettings>;
  /** The output each trigger node leaves by (its definition's `triggerOutput`), fixed at publish. */
  trigger_outputs: ColumnType<Record<string, string>, string | undefined, string>;
  /** The installed package versions its nodes run (`{ name: version }`), fixed at publish. */
  packages: ColumnType<Record<string, string>, string | undefined, string>;
  published_at: Timestamp;
}

export interface JourneyTables {
  journeys: JourneysTable;
  journey_versions: JourneyVersionsTable;
}
