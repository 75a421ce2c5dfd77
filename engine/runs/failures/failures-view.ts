import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { getVersion } from '../../journeys/versions.js';
import { checkFailureWindow, failedRunsWhere, journeyExists } from './select-failed.js';
import type { FailureSample, JourneyFailures } from './types.js';

const iso = (t: string) => new Date(t).toISOString();

/**
 * `GET /api/journeys/:id/failures`: the journey's runs failed now (a retried run leaves,
 * one that fails again comes back), grouped by failed node and error code, largest first,
 * each with its latest failure as a sample; `version` and `from`/`to` (failure time) narrow it.
 *
 * @example
 * const { total, nodes, groups } = await journeyFailures(db, workspaceId, journeyId, { version: 2 });
 */
export async function journeyFailures(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
  filter: { version?: number; from?: string; to?: string },
  /** Whether each sample carries its contact's email (`contactEmail`): only for a reader of contacts. */
  show: { contactEmails: boolean } = { contactEmails: true },
): Promise<JourneyFailures> {
  checkFailureWindow(filter);
  await journeyExists(db, workspaceId, journeyId);
  // A version never published is a wrong address (404, as analytics answers), not "no failures".
  if (filter.version !== undefined) await getVersion(db, workspaceId, journeyId, filter.version);
  const { rows } = await sql<{
    node_id: string;
    code: string;
    count: number;
    first_at: string;
    last_at: string;
    sample: Required<FailureSample>;
  }>`
    with f as (
      select r.id, r.contact_id, (select c.email from contacts c where c.id = r.contact_id) as contact_email, r.version, r.failure, r.failure ->> 'nodeId' as node_id,
        r.failure -> 'error' ->> 'code' as code, (r.failure ->> 'at')::timestamptz as at
      from runs r where ${failedRunsWhere(workspaceId, journeyId, filter, true)}
    )
    select node_id, code, count(*)::int as count, min(at) as first_at, max(at) as last_at,
      (array_agg(json_build_object('runId', id, 'contactId', contact_id,
        'contactEmail', contact_email, 'version', version,
        'error', failure -> 'error', 'at', at) order by at desc, id desc))[1] as sample
    from f group by node_id, code
    order by count(*) desc, node_id, code`.execute(db);
  const nodes: Record<string, number> = {};
  for (const r of rows) nodes[r.node_id] = (nodes[r.node_id] ?? 0) + r.count;
  return {
    total: rows.reduce((sum, r) => sum + r.count, 0),
    nodes,
    groups: rows.map((r) => {
      const { contactEmail, ...sample } = r.sample;
      return {
        nodeId: r.node_id,
        code: r.code,
        count: r.count,
        firstAt: iso(r.first_at),
        lastAt: iso(r.last_at),
        sample: { ...sample, ...(show.contactEmails ? { contactEmail } : {}), at: iso(sample.at) },
      };
    }),
  };
}
