import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { JourneyStatus } from '../db/tables/journeys.js';
import { inTransaction, type WithinChange } from '../db/transaction.js';
import type { JourneyGraph, JourneySettings } from '../graph/types.js';
import { draftMoved, journeyArchived, journeyNotFound } from './errors.js';
import { findJourney, type JourneyRow, toSummary, withDefaults } from './journey.js';
import type { Journey, JourneySummary } from './types.js';

const EMPTY_GRAPH: JourneyGraph = { nodes: [], edges: [] };

/**
 * Locks a journey's row for the rest of the transaction (publishes and status changes of
 * one journey then follow one another). Throws not_found for an unknown id, and conflict for
 * an archived journey unless `archivedOk`.
 */
export async function lockJourney(
  trx: Kysely<Database>,
  workspaceId: string,
  id: string,
  options: { archivedOk?: boolean } = {},
): Promise<JourneyRow> {
  const row = await trx
    .selectFrom('journeys')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    // Not FOR UPDATE: that would also block the key-share locks of rows naming the journey
    // (entry skips and slots a trigger tick inserts while holding its state, which a resume
    // then waits for): a deadlock. Edits still exclude each other.
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!row) throw journeyNotFound(id);
  if (row.status === 'archived' && !options.archivedOk) throw journeyArchived(id);
  return row;
}

async function found(db: Kysely<Database>, workspaceId: string, id: string): Promise<Journey> {
  const journey = await findJourney(db, workspaceId, id);
  if (!journey) throw journeyNotFound(id);
  return journey;
}

/** A journey's tags as kept: each once, in the order first given. */
const distinct = (tags: readonly string[]): string[] => [...new Set(tags)];

/**
 * Creates a journey in `draft` status; the graph defaults to an empty one. `onCreated` runs in
 * the same transaction with its id.
 */
export async function createJourney(
  db: Kysely<Database>,
  workspaceId: string,
  input: { name: string; graph?: JourneyGraph; settings?: Partial<JourneySettings>; tags?: string[] },
  onCreated?: WithinChange<string>,
): Promise<Journey> {
  const row = await inTransaction(db, async (trx) => {
    const made = await trx
      .insertInto('journeys')
      .values({
        workspace_id: workspaceId,
        name: input.name,
        draft_graph: JSON.stringify(input.graph ?? EMPTY_GRAPH),
        draft_settings: JSON.stringify(withDefaults(input.settings)),
        published_version: null,
        tags: distinct(input.tags ?? []),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await onCreated?.(trx, made.id);
    return made;
  });
  return found(db, workspaceId, row.id);
}

/** Every journey not archived (only those tagged `filter.tag` when given), most recently changed first. */
export async function listJourneys(
  db: Kysely<Database>,
  workspaceId: string,
  filter: { tag?: string; status?: JourneyStatus } = {},
): Promise<JourneySummary[]> {
  const { tag, status } = filter;
  const rows = await db
    .selectFrom('journeys')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    // Archived journeys are left out of the list unless asked for by their status.
    .where('status', status === undefined ? '<>' : '=', status ?? 'archived')
    .$if(tag !== undefined, (q) => q.where('tags', '@>', sql<string[]>`array[${tag}]::text[]`))
    .orderBy('updated_at', 'desc')
    .orderBy('id')
    .execute();
  return rows.map(toSummary);
}

/**
 * Renames a journey, changes its draft settings and/or replaces its tags. Settings merge key by
 * key over the current ones; they take effect for new runs at the next publish. `onUpdated`
 * runs in the same transaction, under the journey's lock.
 */
export async function updateJourney(
  db: Kysely<Database>,
  workspaceId: string,
  id: string,
  patch: { name?: string; settings?: Partial<JourneySettings>; tags?: string[] },
  onUpdated?: WithinChange,
): Promise<Journey> {
  // The answer is read before commit: its draft revision (the ETag) is this change's, never a later one's.
  return db.transaction().execute(async (trx) => {
    const row = await lockJourney(trx, workspaceId, id);
    await trx
      .updateTable('journeys')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.tags !== undefined ? { tags: distinct(patch.tags) } : {}),
        ...(patch.settings
          ? {
              draft_settings: JSON.stringify(withDefaults({ ...row.draft_settings, ...patch.settings })),
              draft_revision: row.draft_revision + 1,
            }
          : {}),
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
    await onUpdated?.(trx);
    return found(trx, workspaceId, id);
  });
}

/**
 * Replaces the draft graph (and settings when given). Drafts may be invalid as journeys;
 * only publishing validates them. `onSaved` runs inside the save's transaction with the draft
 * graph it replaced, read under the journey's lock: what the caller writes of the change (its
 * audit entry) commits with it, and of two saves at once the later sees the earlier's draft.
 * With `ifRevisions`, the draft is saved only while its revision is one of them (checked under
 * that lock, so of two saves naming the same revision one wins); else precondition_failed.
 */
export async function saveDraft(
  db: Kysely<Database>,
  workspaceId: string,
  id: string,
  draft: { graph: JourneyGraph; settings?: Partial<JourneySettings> },
  onSaved?: WithinChange<JourneyGraph>,
  ifRevisions?: readonly number[],
): Promise<Journey> {
  return db.transaction().execute(async (trx) => {
    const { draft_graph: previous, draft_revision: revision } = await lockJourney(trx, workspaceId, id);
    if (ifRevisions && !ifRevisions.includes(revision)) throw draftMoved(id, revision);
    await trx
      .updateTable('journeys')
      .set({
        draft_graph: JSON.stringify(draft.graph),
        ...(draft.settings ? { draft_settings: JSON.stringify(withDefaults(draft.settings)) } : {}),
        draft_revision: revision + 1,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
    await onSaved?.(trx, previous);
    // Read before commit, as updateJourney's: the answer and its ETag are this save's.
    return found(trx, workspaceId, id);
  });
}

/** Reads a journey or throws not_found. */
export const getJourney = found;
