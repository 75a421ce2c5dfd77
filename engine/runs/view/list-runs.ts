import { type Kysely, sql } from 'kysely';
import { microseconds, pagesOn, timePage } from '../../db/cursor.js';
import type { Database } from '../../db/database.js';
import type { RunStatus } from '../../db/tables/runs.js';
import { codeLike } from '../failures/code-pattern.js';
import { conversion, RUN_COLUMNS, view } from './run-view.js';
import type { RunView, StepView } from './types.js';

/** Runs with a step at `nodeId`, in `status` when given, that took `output` when given. */
function atStep(nodeId: string, status: string | undefined, output: string | undefined) {
  return sql<boolean>`exists (select 1 from steps s where s.run_id = runs.id and s.node_id = ${nodeId}
    and (${status ?? null}::text is null or s.status::text = ${status ?? null}::text)
    and (${output ?? null}::text is null or ${output ?? null}::text = any(s.outputs_taken)))`;
}

/** Ids of the workspace's contacts whose email or external id contains `q` (LIKE wildcards taken literally). */
function contactsLike(workspaceId: string, q: string) {
  const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<string>`(select c.id from contacts c where c.workspace_id = ${workspaceId}
    and (c.email ilike ${pattern} or c.external_id ilike ${pattern}))`;
}

/** The emails of the given contacts (null ids skipped), in one query. */
async function emailsOf(
  db: Kysely<Database>,
  workspaceId: string,
  contactIds: readonly (string | null)[],
): Promise<Map<string, string | null>> {
  const ids = [...new Set(contactIds.filter((id): id is string => id !== null))];
  if (ids.length === 0) return new Map();
  const found = await db
    .selectFrom('contacts')
    .select(['id', 'email'])
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', ids)
    .execute();
  return new Map(found.map((c) => [c.id, c.email]));
}

/** The run with its contact's email (`contactEmail`, null when anonymous or without one). */
export async function withContactEmail<R extends RunView>(
  db: Kysely<Database>,
  workspaceId: string,
  run: R,
): Promise<R> {
  const emails = await emailsOf(db, workspaceId, [run.contactId]);
  return { ...run, contactEmail: run.contactId ? (emails.get(run.contactId) ?? null) : null };
}

/** Which runs `listRuns` answers, a page at a time (`GET /api/runs`'s query). */
export interface RunFilter {
  journeyId?: string;
  /** With `journeyId`: only runs of this version. */
  version?: number;
  contactId?: string;
  status?: RunStatus;
  /** Failed runs whose failure is at this node / has this code (a trailing `*`: a prefix). */
  nodeId?: string;
  code?: string;
  /** Runs with a step at this node (a canvas count): in `stepStatus`, and/or that left by `output`. */
  step?: string;
  stepStatus?: StepView['status'];
  output?: string;
  /** Part of the contact's email or external id, any case. */
  q?: string;
  limit: number;
  cursor?: string;
}

/**
 * Newest runs first, filtered; `cursor` is the id of the last run of the previous page
 * (keyset paging on (started_at, id), so pages stay stable as runs start).
 */
export async function listRuns(
  db: Kysely<Database>,
  workspaceId: string,
  filter: RunFilter,
  /** Whether each run carries its contact's email (`contactEmail`): only for a reader of contacts. */
  show: { contactEmails: boolean } = { contactEmails: true },
): Promise<{ runs: RunView[]; nextCursor: string | null }> {
  let query = db
    .selectFrom('runs')
    .select(RUN_COLUMNS)
    .select(conversion)
    .select(microseconds('started_at').as('us'))
    .where('workspace_id', '=', workspaceId);
  if (filter.journeyId) query = query.where('journey_id', '=', filter.journeyId);
  if (filter.version !== undefined) query = query.where('version', '=', filter.version);
  if (filter.contactId) query = query.where('contact_id', '=', filter.contactId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.nodeId !== undefined || filter.code !== undefined) query = query.where('status', '=', 'failed');
  if (filter.nodeId !== undefined) query = query.where(sql`failure ->> 'nodeId'`, '=', filter.nodeId);
  if (filter.code !== undefined) query = query.where(sql`failure -> 'error' ->> 'code'`, 'like', codeLike(filter.code));
  if (filter.step !== undefined) query = query.where(atStep(filter.step, filter.stepStatus, filter.output));
  if (filter.q) query = query.where('contact_id', 'in', contactsLike(workspaceId, filter.q));
  if (filter.cursor) query = query.where(pagesOn('runs', filter.cursor, 'started_at'));
  const rows = await query
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const { page, nextCursor } = timePage('runs', rows, filter.limit);
  if (!show.contactEmails) return { runs: page.map(view), nextCursor };
  const emails = await emailsOf(
    db,
    workspaceId,
    page.map((r) => r.contact_id),
  );
  const runs = page.map((r) => ({
    ...view(r),
    contactEmail: r.contact_id ? (emails.get(r.contact_id) ?? null) : null,
  }));
  return { runs, nextCursor };
}
