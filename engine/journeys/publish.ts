import { triggerOutputOf } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { WithinChange } from '../db/transaction.js';
import { clearStaleDecisions } from '../experiments/decisions.js';
import type { JourneyGraph } from '../graph/types.js';
import { lockPinned } from '../packages/store.js';
import type { NodeRegistry } from '../registry/registry.js';
import { checkDraft, type Draft } from './draft-check.js';
import { lockJourney } from './edit.js';
import { invalidGraph } from './errors.js';
import { withDefaults } from './journey.js';
import { notifyJourneyChanged } from './notify.js';

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
 * The draft's problems thrown as `invalid_graph`, else its pins, share-locked until the
 * publish commits: a removal of a pinned version waits, then sees this version using it. A
 * version another process removed before this one heard of it (within the 5 s resync) is
 * passed over and the draft pinned again, as a publish a moment later would be, so the
 * draft is refused only when no installed version is left to pin.
 */
async function checkAndPin(
  trx: Kysely<Database>,
  registry: NodeRegistry,
  workspaceId: string,
  draft: Draft,
): Promise<Record<string, string>> {
  const gone = new Set<string>();
  for (;;) {
    const { problems, pins } = await checkDraft(trx, registry, workspaceId, draft, gone);
    if (problems.length) throw invalidGraph(problems);
    const removed = await lockPinned(trx, pins);
    if (removed.length === 0) return pins;
    for (const pin of removed) gone.add(pin);
  }
}

/**
 * Freezes the draft as the next numbered version (1, 2, …) and makes it the one new runs
 * take. A draft journey goes live; a paused one stays paused. Concurrent publishes of one
 * journey queue on its row lock, so each gets its own number. Throws `invalid_graph` (422)
 * with every problem when the draft is not valid. `onPublished` runs in the same transaction,
 * under the journey's lock, with the version's number and graph.
 *
 * @example
 * const { version } = await publishJourney(runtime.db, runtime.registry, workspaceId, journeyId);
 */
export async function publishJourney(
  db: Kysely<Database>,
  registry: NodeRegistry,
  workspaceId: string,
  id: string,
  onPublished?: WithinChange<{ version: number; graph: JourneyGraph }>,
): Promise<{ version: number }> {
  return db.transaction().execute(async (trx) => {
    const row = await lockJourney(trx, workspaceId, id);
    const packages = await checkAndPin(trx, registry, workspaceId, {
      graph: row.draft_graph,
      settings: row.draft_settings,
    });
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
    await onPublished?.(trx, { version, graph: row.draft_graph });
    return { version };
  });
}
