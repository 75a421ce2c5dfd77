import type { ContactTables } from './tables/contacts.js';
import type { ContentTables } from './tables/content.js';
import type { FoundationTables } from './tables/foundation.js';
import type { JourneyTables } from './tables/journeys.js';
import type { MessageTables } from './tables/messages.js';
import type { PackageTables } from './tables/packages.js';
import type { RunTables } from './tables/runs.js';
import type { TeamTables } from './tables/teams.js';

/**
 * The whole schema, typed once. Each part owns a table file under `tables/` and a
 * migration under `migrations/`.
 */
export interface Database
  extends FoundationTables,
    ContactTables,
    JourneyTables,
    RunTables,
    MessageTables,
    TeamTables,
    ContentTables,
    PackageTables {}
