import { NotFoundError } from '@waymark/sdk';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { JourneyGraph } from '../graph/types.js';
import { journeyNotFound } from './errors.js';
import { shownSettings } from './journey.js';
import type { JourneyVersion } from './types.js';

/** Reads one published version; not_found names whether the journey or the version is missing. */
export async function getVersion(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
  version: number,
): Promise<JourneyVersion> {
  const row = await db
    .selectFrom('journey_versions')
    .selectAll()
    .where('journey_id', '=', journeyId)
    .where('journey_id', 'in', (eb) =>
      eb.selectFrom('journeys').select('id').where('workspace_id', '=', workspaceId).where('id', '=', journeyId),
    )
    .where('version', '=', version)
    .executeTakeFirst();
  if (!row) {
    const journey = await db
      .selectFrom('journeys')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', journeyId)
      .executeTakeFirst();
    throw journey ? new NotFoundError(`journey ${journeyId} has no version ${version}`) : journeyNotFound(journeyId);
  }
  return {
    version: row.version,
    graph: row.graph,
    settings: shownSettings(row.settings),
    publishedAt: new Date(row.published_at).toISOString(),
    packages: row.packages ?? {},
  };
}

/** A version's graph, or the draft's for `'draft'`. */
export async function graphOf(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
  which: number | 'draft',
): Promise<JourneyGraph> {
  if (which !== 'draft') return (await getVersion(db, workspaceId, journeyId, which)).graph;
  const row = await db
    .selectFrom('journeys')
    .select('draft_graph')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', journeyId)
    .executeTakeFirst();
  if (!row) throw journeyNotFound(journeyId);
  return row.draft_graph;
}

/** The journey's newest published version number (null while unpublished); 404 for an unknown journey. */
export async function publishedVersionOf(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
): Promise<number | null> {
  const journey = await db
    .selectFrom('journeys')
    .select('published_version')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', journeyId)
    .executeTakeFirst();
  if (!journey) throw journeyNotFound(journeyId);
  return journey.published_version;
}
