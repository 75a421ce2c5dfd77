import type { ErrorDetail } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { clearStaleDecisions } from '../experiments/decisions.js';
import { goalProblems } from '../experiments/goal-problems.js';
import { graphProblems } from '../graph/problems.js';
import type { NodeRegistry } from '../registry/registry.js';
import { lockJourney } from './edit.js';
import { invalidGraph, journeyNotFound } from './errors.js';
import { withDefaults } from './journey.js';
import { notifyJourneyChanged } from './notify.js';

/** The problems that would keep a journey's draft from being published (empty: none). */
export async function validateDraft(db: Kysely<Database>, registry: NodeRegistry, id: string): Promise<ErrorDetail[]> {
  const row = await db
    .selectFrom('journeys')
    .select(['draft_graph', 'draft_settings'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw journeyNotFound(id);
  return [
    ...(await graphProblems(db, row.draft_graph, registry)),
    ...goalProblems(row.draft_graph, row.draft_settings),
  ];
}

/**
 * Freezes the draft as the next numbered version (1, 2, …) and makes it the one new runs
 * take. A draft journey goes live; a paused one stays paused. Concurrent publishes of one
 * journey queue on its row lock, so each gets its own number. Throws `invalid_graph` (422)
 * with every problem when the draft is not valid.
 *
 * @example
 * const { version } = await publishJourney(runtime.db, runtime.registry, journeyId);
 */
export async function publishJourney(
  db: Kysely<Database>,
  registry: NodeRegistry,
  id: string,
): Promise<{ version: number }> {
  return db.transaction().execute(async (trx) => {
    const row = await lockJourney(trx, id);
    const errors = [
      ...(await graphProblems(trx, row.draft_graph, registry)),
      ...goalProblems(row.draft_graph, row.draft_settings),
    ];
    if (errors.length) throw invalidGraph(errors);
    const last = await trx
      .selectFrom('journey_versions')
      .select((eb) => eb.fn.max('version').as('version'))
      .where('journey_id', '=', id)
      .executeTakeFirst();
    const version = (last?.version ?? 0) + 1;
    await trx
      .insertInto('journey_versions')
      .values({
        journey_id: id,
        version,
        graph: JSON.stringify(row.draft_graph),
        settings: JSON.stringify(withDefaults(row.draft_settings)),
      })
      .execute();
    await trx
      .updateTable('journeys')
      .set({
        published_version: version,
        status: row.status === 'paused' ? 'paused' : 'live',
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
    await clearStaleDecisions(trx, id, version);
    await notifyJourneyChanged(trx, id);
    return { version };
  });
}
