import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/database.js';
import type { JourneysTable } from '../db/tables/journeys.js';
import { DEFAULT_SETTINGS, type JourneySettings } from '../graph/types.js';
import type { Journey, JourneySummary } from './types.js';

export type JourneyRow = Selectable<JourneysTable>;

const iso = (t: Date | string) => new Date(t).toISOString();

/**
 * Settings as stored: whatever was given over the defaults. A goal reads back with
 * `exitOnGoal` filled in; `goal: null` removes it (no goal is shown as none), and so does
 * `webhookRateLimit: null` its limit (stored and shown as left out: no limit).
 */
export function withDefaults(settings: Partial<JourneySettings> | null | undefined): JourneySettings {
  const { goal, webhookRateLimit, ...kept } = { ...DEFAULT_SETTINGS, ...settings };
  const rest = webhookRateLimit ? { ...kept, webhookRateLimit } : kept;
  return goal ? { ...rest, goal: { ...goal, exitOnGoal: goal.exitOnGoal ?? false } } : rest;
}

/** Settings as the API answers them: `withDefaults`, and `goal: null` when there is none. */
export function shownSettings(settings: Partial<JourneySettings> | null | undefined): JourneySettings {
  const shown = withDefaults(settings);
  return shown.goal ? shown : { ...shown, goal: null };
}

export function toSummary(row: JourneyRow): JourneySummary {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    publishedVersion: row.published_version,
    tags: row.tags,
    updatedAt: iso(row.updated_at),
  };
}

/**
 * Reads a journey with its draft and version list; null when the id is unknown.
 * Archived journeys are still found (their versions and runs stay readable by id).
 */
export async function findJourney(db: Kysely<Database>, workspaceId: string, id: string): Promise<Journey | null> {
  const row = await db
    .selectFrom('journeys')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return null;
  const versions = await db
    .selectFrom('journey_versions')
    .select(['version', 'published_at'])
    .where('journey_id', '=', id)
    .orderBy('version')
    .execute();
  return {
    ...toSummary(row),
    draft: { graph: row.draft_graph, settings: shownSettings(row.draft_settings) },
    draftRevision: row.draft_revision,
    versions: versions.map((v) => ({ version: v.version, publishedAt: iso(v.published_at) })),
    createdAt: iso(row.created_at),
    archivedAt: row.archived_at ? iso(row.archived_at) : null,
  };
}
