import type { AnyNodeDefinition, JsonObject, PollItem, PollResult, PollTrigger } from '@waymark/sdk';
import { WaymarkError } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import { bindHeldContact } from '../../contacts/identity/bind.js';
import type { Database } from '../../db/database.js';
import type { Runtime } from '../../runtime.js';
import { insertRuns } from '../entry/insert-runs.js';
import { type CompiledVersion, triggerOutputOf } from '../versions.js';
import type { TriggerPlace } from './context.js';
import { type ClaimedPoll, endTurn, holdTurn } from './poll-due.js';
import { identityOfContact } from './starts.js';

/** A claimed turn's node, its version and its definition's `poll`. */
export interface PollingNode extends TriggerPlace {
  version: CompiledVersion;
  definition: AnyNodeDefinition;
  poll: PollTrigger<never>;
  turn: ClaimedPoll;
}

/** The journey was paused, archived or republished while its poll ran: nothing of it is kept. */
export class JourneyMovedOnError extends Error {}

/**
 * In one transaction, while the turn is still this worker's: the items whose key the node has
 * not seen are marked seen and each starts a run, bound to the contact it names (none:
 * anonymous; one that cannot be bound is passed over, logged), re-entry and the entry cap
 * applied; the poll's `state` is kept and the turn given back, due `nextAt`. A crash keeps none
 * of it, so the next poll starts them; a repeat starts nobody twice. Null when the turn was lost.
 */
export async function startItems(
  runtime: Runtime,
  p: PollingNode,
  result: PollResult,
  nextAt: Date,
): Promise<number | null> {
  const items = [...new Map(result.items.map((item) => [item.key, item] as const)).values()];
  const log = runtime.logger.child({ journeyId: p.journeyId, nodeId: p.node.id });
  return runtime.db.transaction().execute(async (trx) => {
    if (!(await holdTurn(trx, p.turn))) return null;
    const fresh = items.length
      ? await sql<{ key: string }>`
          insert into trigger_seen_keys (journey_id, node_id, key)
          select ${p.journeyId}, ${p.node.id}, k from unnest(${items.map((i) => i.key)}::text[]) as k
          on conflict do nothing returning key`.execute(trx)
      : { rows: [] };
    const seenNow = new Set(fresh.rows.map((r) => r.key));
    let started = 0;
    for (const item of items.filter((i) => seenNow.has(i.key))) {
      const runId = await startItem(trx, p, item, log);
      if (runId === undefined) continue;
      if (runId) started++;
      await trx
        .updateTable('trigger_seen_keys')
        .set({ run_id: runId })
        .where('journey_id', '=', p.journeyId)
        .where('node_id', '=', p.node.id)
        .where('key', '=', item.key)
        .execute();
    }
    if (result.state !== undefined)
      await sql`update trigger_state set poll_state = ${JSON.stringify(result.state)}::jsonb
        where journey_id = ${p.journeyId} and node_id = ${p.node.id}`.execute(trx);
    await endTurn(trx, p.turn, nextAt);
    return started;
  });
}

/** One item's run: its id, null when re-entry or the cap turned it away, undefined when its contact could not be bound. */
async function startItem(
  trx: Kysely<Database>,
  p: PollingNode,
  item: PollItem,
  log: Runtime['logger'],
): Promise<string | null | undefined> {
  const raw = identityOfContact(item.contact);
  let contactId: string | null = null;
  if (raw) {
    try {
      contactId = await bindHeldContact(trx, p.workspaceId, raw, { autoMerge: p.version.settings.autoMerge !== false });
    } catch (error) {
      if (!(error instanceof WaymarkError)) throw error;
      log.warn({ key: item.key, err: error.message }, 'a polled item names a contact that cannot be bound; no run');
      return undefined;
    }
  }
  const started = await insertRuns(trx, {
    version: p.version,
    triggerNodeId: p.node.id,
    output: triggerOutputOf(p.version, p.node.id),
    contacts: { ids: [contactId] },
    trigger: item.payload as JsonObject,
    onlyIfLive: true,
  });
  if (!started.live) throw new JourneyMovedOnError();
  return started.runIds[0] ?? null;
}
