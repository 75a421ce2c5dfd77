import { type ErrorDetail, triggerOutputOf } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { clearStaleDecisions } from '../experiments/decisions.js';
import { goalProblems } from '../experiments/goal-problems.js';
import { graphProblems } from '../graph/problems.js';
import type { JourneyGraph } from '../graph/types.js';
import { lockPinned } from '../packages/store.js';
import type { NodeRegistry } from '../registry/registry.js';
import { lockJourney } from './edit.js';
import { invalidGraph, journeyNotFound } from './errors.js';
import { withDefaults } from './journey.js';
import { notifyJourneyChanged } from './notify.js';

/** The problems that would keep a journey's draft from being published (empty: none). */
export async function validateDraft(
  db: Kysely<Database>,
  registry: NodeRegistry,
  workspaceId: string,
  id: string,
): Promise<ErrorDetail[]> {
  const row = await db
    .selectFrom('journeys')
    .select(['draft_graph', 'draft_settings'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw journeyNotFound(id);
  return [
    ...(await graphProblems(db, workspaceId, row.draft_graph, registry)),
    ...goalProblems(row.draft_graph, row.draft_settings),
  ];
}

/**
 * The output each trigger of `graph` leaves by, from its definition (`triggerOutput`, else
 * its first output): fixed with the version, so starting a run needs no node registry.
 */
function triggerOutputsOf(registry: NodeRegistry, graph: JourneyGraph): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const node of graph.nodes) {
    const definition = registry.get(node.type, node.version)?.definition;
    if (definition?.kind === 'trigger') outputs[node.id] = triggerOutputOf(definition, node.params);
  }
  return outputs;
}

/**
 * The installed package versions a publish pins (API.md "Journeys"): for each package the
 * graph's nodes come from, the highest installed version defining every node used of it.
 * The pinned rows are share-locked until the publish commits, so a removal of one waits
 * and then sees the new version using it.
 */
async function pinPackages(
  trx: Kysely<Database>,
  registry: NodeRegistry,
  graph: JourneyGraph,
): Promise<Record<string, string>> {
  const { pins, unpinned } = registry.pinsFor(graph.nodes);
  const missing = await lockPinned(trx, pins);
  const errors: ErrorDetail[] = [
    ...unpinned.map((nodeId) => ({
      nodeId,
      message: 'no single installed version of its package defines every node of it used here',
    })),
    ...missing.map((pin) => ({ message: `${pin} was removed meanwhile` })),
  ];
  if (errors.length) throw invalidGraph(errors);
  return pins;
}

/**
 * Freezes the draft as the next numbered version (1, 2, …) and makes it the one new runs
 * take. A draft journey goes live; a paused one stays paused. Concurrent publishes of one
 * journey queue on its row lock, so each gets its own number. Throws `invalid_graph` (422)
 * with every problem when the draft is not valid.
 *
 * @example
 * const { version } = await publishJourney(runtime.db, runtime.registry, workspaceId, journeyId);
 */
export async function publishJourney(
  db: Kysely<Database>,
  registry: NodeRegistry,
  workspaceId: string,
  id: string,
): Promise<{ version: number }> {
  return db.transaction().execute(async (trx) => {
    const row = await lockJourney(trx, workspaceId, id);
    const errors = [
      ...(await graphProblems(trx, workspaceId, row.draft_graph, registry)),
      ...goalProblems(row.draft_graph, row.draft_settings),
    ];
    if (errors.length) throw invalidGraph(errors);
    const packages = await pinPackages(trx, registry, row.draft_graph);
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
        trigger_outputs: JSON.stringify(triggerOutputsOf(registry, row.draft_graph)),
        packages: JSON.stringify(packages),
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
