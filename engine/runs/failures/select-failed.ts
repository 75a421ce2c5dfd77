import { ValidationError } from '@waymark/sdk';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { journeyNotFound } from '../../journeys/errors.js';
import { codeLike } from './code-pattern.js';
import { retryable } from './retryable.js';
import type { FailureFilter } from './types.js';

/** Throws 400 at `/from` when `from` is after `to`: such a window holds no failure, so it is a mistake, not an empty answer. */
export function checkFailureWindow(filter: { from?: string; to?: string }): void {
  if (filter.from && filter.to && Date.parse(filter.from) > Date.parse(filter.to))
    throw new ValidationError('from is after to', [{ path: '/from', message: 'from must not be after to' }]);
}

/**
 * Throws not_found unless `journeyId` is a journey of `workspaceId` (another workspace's is
 * unknown here); answers its status.
 */
export async function journeyExists(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
): Promise<{ status: string }> {
  const found = await db
    .selectFrom('journeys')
    .select('status')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', journeyId)
    .executeTakeFirst();
  if (!found) throw journeyNotFound(journeyId);
  return found;
}

/**
 * Throws 400 `validation_failed` when `nodes` names a node that no published version of the
 * journey has (a typo, which would select no run and say nothing): one detail per such id, at
 * its place in `nodes`. A node of an old version only stays valid: its runs may have failed there.
 */
export async function checkFilterNodes(
  db: Kysely<Database>,
  journeyId: string,
  nodes: readonly string[] | undefined,
): Promise<void> {
  if (!nodes?.length) return;
  const { rows } = await sql<{ id: string }>`
    select distinct node ->> 'id' as id
    from journey_versions v, jsonb_array_elements(v.graph -> 'nodes') node
    where v.journey_id = ${journeyId}::uuid and node ->> 'id' = any(${nodes}::text[])`.execute(db);
  const known = new Set(rows.map((r) => r.id));
  const unknown = (nodeId: string) => `no version of the journey has a node ${nodeId}`;
  const details = nodes.flatMap((nodeId, i) =>
    known.has(nodeId) ? [] : [{ path: `/nodes/${i}`, message: unknown(nodeId) }],
  );
  if (details.length)
    throw new ValidationError(unknown([...new Set(nodes.filter((id) => !known.has(id)))].join(', ')), details);
}

/**
 * The SQL condition on `runs r` for failed runs of `journeyId` in `workspaceId` matching
 * `filter` (its `version` narrows to runs on that version only when `byVersion`).
 */
export function failedRunsWhere(
  workspaceId: string,
  journeyId: string,
  filter: FailureFilter,
  byVersion: boolean,
): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [
    sql`r.workspace_id = ${workspaceId}::uuid`,
    sql`r.journey_id = ${journeyId}::uuid`,
    sql`r.status = 'failed'`,
    sql`r.failure is not null`,
  ];
  if (filter.nodes?.length) parts.push(sql`r.failure ->> 'nodeId' = any(${filter.nodes}::text[])`);
  if (filter.codes?.length)
    parts.push(sql`r.failure -> 'error' ->> 'code' like any(${filter.codes.map(codeLike)}::text[])`);
  if (filter.from) parts.push(sql`(r.failure ->> 'at')::timestamptz >= ${filter.from}::timestamptz`);
  if (filter.to) parts.push(sql`(r.failure ->> 'at')::timestamptz < ${filter.to}::timestamptz`);
  if (byVersion && filter.version !== undefined) parts.push(sql`r.version = ${filter.version}::int`);
  return sql.join(parts, sql` and `);
}

/** The failed runs a filter selects that a retry may take up: id, version and failed node, oldest failure first. */
export async function selectFailedRuns(
  db: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
  filter: FailureFilter,
): Promise<{ id: string; version: number; node_id: string }[]> {
  const { rows } = await sql<{ id: string; version: number; node_id: string }>`
    select r.id, r.version, r.failure ->> 'nodeId' as node_id from runs r
    where ${failedRunsWhere(workspaceId, journeyId, filter, false)} and ${retryable}
    order by (r.failure ->> 'at')::timestamptz, r.id`.execute(db);
  return rows;
}
