import { isDeepStrictEqual } from 'node:util';
import type { CompareOp, JsonObject, JsonValue } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { GraphNode } from '../graph/types.js';
import { startRunsForContacts } from '../runs/entry/start.js';
import { compare } from '../sdk/src/filter/values.js';
import type { ValueChange } from './refresh.js';

/** The trigger these runs start at: `waymark_steps_total` counts their trigger steps under it. */
export const COMPUTED_TRIGGER = 'core.computed';

interface Becomes {
  op: CompareOp;
  value?: JsonValue;
}

/**
 * True when the change enters: the new value satisfies `becomes` and the previous did not (any
 * change without one). After a merge the values the merged-away contact held count as previous
 * ones too, as its segment memberships do: the person entered with it already.
 */
export function enters(change: ValueChange, becomes: Becomes | undefined): boolean {
  const formerly = change.formerly ?? [];
  if (!becomes) return !formerly.some((v) => isDeepStrictEqual(v ?? null, change.value));
  // A null value compares as an absent attribute does.
  const holds = (v: unknown) =>
    compare(v === null || v === undefined ? undefined : (v as JsonValue), becomes.op, becomes.value);
  return holds(change.value) && !holds(change.previous) && !formerly.some(holds);
}

/**
 * Starts the runs of live `core.computed` triggers for the changed values, each with the
 * payload `{ attribute, previous, value }` (re-entry rules apply). Answers how many started.
 */
export async function fireComputedTriggers(
  trx: Kysely<Database>,
  workspaceId: string,
  changes: readonly ValueChange[],
): Promise<number> {
  if (!changes.length) return 0;
  const { rows } = await sql<{ journey_id: string; version: number; graph: { nodes?: GraphNode[] } }>`
    select j.id as journey_id, v.version, v.graph from journeys j
    join journey_versions v on v.journey_id = j.id and v.version = j.published_version
    where j.status = 'live' and j.workspace_id = ${workspaceId}
      and v.graph::jsonb @> '{"nodes": [{"type": "core.computed"}]}'`.execute(trx);
  let started = 0;
  for (const r of rows)
    for (const node of (r.graph.nodes ?? []).filter((n) => n.type === COMPUTED_TRIGGER)) {
      const params = node.params as { attribute?: string; becomes?: Becomes };
      for (const change of changes.filter((c) => c.attribute === params.attribute && enters(c, params.becomes))) {
        const trigger = { attribute: change.attribute, previous: change.previous, value: change.value } as JsonObject;
        started += await startRunsForContacts(trx, {
          journeyId: r.journey_id,
          version: r.version,
          triggerNodeId: node.id,
          contactIds: [change.contactId],
          trigger,
        });
      }
    }
  return started;
}
