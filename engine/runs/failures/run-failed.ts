import type { JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import type { RunFailure } from '../../db/tables/runs.js';
import type { GraphNode } from '../../graph/types.js';
import { startRun } from '../entry/start.js';
import { codeMatches } from './code-pattern.js';

/** The graphile-worker task the writer queues, in the failure's transaction, for each run that fails. */
export const RUN_FAILED_TASK = 'waymark.run-failed';

/** The trigger type of failure journeys. */
export const RUN_FAILED = 'core.run-failed';

type FailedRun = {
  id: string;
  workspace_id: string;
  journey_id: string;
  journey_name: string;
  version: number;
  contact_id: string | null;
  trigger: JsonObject;
  failure: RunFailure | null;
  graph: { nodes: GraphNode[] };
};

const listParam = (node: GraphNode, key: string): string[] => {
  const value = node.params?.[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
};

/** Whether a `core.run-failed` node's params accept a failure of `journeyId`. */
function accepts(node: GraphNode, journeyId: string, failure: RunFailure): boolean {
  const journeys = listParam(node, 'journeys');
  const nodes = listParam(node, 'nodes');
  const codes = listParam(node, 'codes');
  return (
    (journeys.length === 0 || journeys.includes(journeyId)) &&
    (nodes.length === 0 || nodes.includes(failure.nodeId)) &&
    (codes.length === 0 || codes.some((c) => codeMatches(c, failure.error.code)))
  );
}

/**
 * Starts the `core.run-failed` journeys of the failed run's workspace it matches (NODES.md), each for the run's
 * contact with the failure as its trigger payload, under their re-entry rules. A run of a
 * journey that has such a trigger fires none (no cascades); a failure already answered
 * (the job ran again after a crash) starts nothing twice. `failed` is the failure the writer
 * queued the job with (else the run's own, for jobs queued before it carried one).
 */
export async function fireRunFailed(db: Kysely<Database>, runId: string, failed?: RunFailure): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<FailedRun>`
      select r.id, r.workspace_id, r.journey_id, j.name as journey_name, r.version, r.contact_id, r.trigger, r.failure, v.graph
      from runs r join journeys j on j.id = r.journey_id
      join journey_versions v on v.journey_id = r.journey_id and v.version = r.version
      where r.id = ${runId}::uuid`.execute(trx);
    const run = rows[0];
    // The failure as the writer recorded it: the run may have been retried since.
    const failure = failed ?? run?.failure;
    if (!run || !failure) return 0;
    if (run.graph.nodes.some((n) => n.type === RUN_FAILED)) return 0;
    const failedNode = run.graph.nodes.find((n) => n.id === failure.nodeId);
    const failedAt = new Date(failure.at).toISOString();
    const payload: JsonObject = {
      runId: run.id,
      journeyId: run.journey_id,
      journeyName: run.journey_name,
      version: run.version,
      nodeId: failure.nodeId,
      nodeType: failedNode?.type ?? null,
      contactId: run.contact_id,
      error: { ...failure.error },
      failedAt,
      trigger: run.trigger,
    };
    const triggers = await sql<{ journey_id: string; version: number; node: GraphNode }>`
      select j.id as journey_id, j.published_version as version, n as node
      from journeys j
      join journey_versions v on v.journey_id = j.id and v.version = j.published_version
      cross join lateral jsonb_array_elements(v.graph -> 'nodes') n
      where j.workspace_id = ${run.workspace_id}::uuid and j.status = 'live' and n ->> 'type' = ${RUN_FAILED}
        and not exists (select 1 from runs o where o.journey_id = j.id
          and o.trigger @> jsonb_build_object('runId', ${run.id}::text, 'failedAt', ${failedAt}::text))
      order by j.id, n ->> 'id'`.execute(trx);
    let started = 0;
    for (const t of triggers.rows) {
      if (!accepts(t.node, run.journey_id, failure)) continue;
      const run2 = await startRun(trx, {
        journeyId: t.journey_id,
        version: t.version,
        triggerNodeId: t.node.id,
        contactId: run.contact_id,
        trigger: payload,
      });
      if (run2) started++;
    }
    return started;
  });
}
