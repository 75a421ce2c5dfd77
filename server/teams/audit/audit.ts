import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { type Actor, type AuditEntry, appendAudit } from '../../../engine/db/audit.js';
import { decodeCursor, encodeCursor } from '../../../engine/db/cursor.js';
import type { Database } from '../../../engine/db/database.js';
import { diffGraphs } from '../../../engine/graph/diff.js';
import type { JourneyGraph } from '../../../engine/graph/types.js';
import { graphOf } from '../../../engine/journeys/versions.js';
import type { AuditPage } from '../answer-types.js';
import { auditAction } from './audit-actions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The id of the object a request changed, when it is not the path's `:id` or the answer's `id`. */
    auditObject: string | null;
    /** For routes without credentials (setup, accepting an invitation): who acted, and where. */
    auditActor: { actor: Actor; workspaceId: string | null } | null;
    auditDetails: Record<string, unknown> | null;
    /** Set once `auditWithin` appended the request's entry inside its change's transaction. */
    auditWritten: boolean;
  }
}

function actorOf(request: FastifyRequest): Actor | null {
  const p = request.principal;
  if (!p) return request.auditActor?.actor ?? null;
  return p.type === 'user'
    ? { type: 'user', id: p.id, name: p.name, email: p.email }
    : { type: 'token', id: p.id, name: p.name };
}

const EMPTY: JourneyGraph = { nodes: [], edges: [] } as unknown as JourneyGraph;

function objectId(request: FastifyRequest, payload: unknown): string | null {
  if (request.auditObject) return request.auditObject;
  const params = request.params as Record<string, string> | undefined;
  const fromPath = params?.userId ?? params?.invitationId ?? params?.id ?? params?.tag ?? params?.list ?? params?.name;
  if (fromPath) return fromPath;
  if (typeof payload === 'string' && payload.startsWith('{')) {
    try {
      const id = (JSON.parse(payload) as { id?: unknown }).id;
      if (typeof id === 'string') return id;
    } catch {}
  }
  return null;
}

/** The entry a request answered `status` records (its details still to add), or null for none. */
function entryOf(request: FastifyRequest, status: number, payload: unknown): AuditEntry | null {
  const url = request.routeOptions.url ?? '';
  if (status >= 300 || !url.startsWith('/api/')) return null;
  const action = auditAction(request.method, url, status);
  if (!action) return null;
  const actor = actorOf(request);
  const workspaceId = request.standing?.workspace?.id ?? request.auditActor?.workspaceId ?? null;
  if (!actor || !workspaceId) return null;
  const objectType = action.split('.')[0] as string;
  return {
    workspaceId,
    actor,
    action: action === 'contact.created' && status === 200 ? 'contact.updated' : action,
    objectType: objectType === 'contacts' ? 'contact' : objectType,
    objectId: objectId(request, payload),
  };
}

/** What `auditWithin` adds to the request's entry. */
export interface WithinEntry {
  details?: unknown;
  /** The changed object's id, when neither `request.auditObject` nor the path names it (a new object). */
  object?: string;
  /** The status the route will answer, when the action depends on it (a PUT that made its object: 201). */
  status?: number;
}

/**
 * Appends the request's entry inside `trx`, the transaction of the change itself, which the
 * route's store function hands its caller (a `WithinChange`): the entry commits or rolls back
 * with the change, so a change whose entry cannot be written is not made, and its details
 * read what that very change saw under its lock (a role before, a draft replaced). The answer
 * then records nothing more.
 *
 * @example
 * await changeRole(db, workspaceId, userId, role, owner, (trx, before) =>
 *   auditWithin(request, trx, { details: { from: before, to: role } }));
 */
export async function auditWithin(
  request: FastifyRequest,
  trx: Kysely<Database>,
  entry: WithinEntry = {},
): Promise<void> {
  const base = entryOf(request, entry.status ?? 200, undefined);
  if (!base) return;
  await appendAudit(trx, {
    ...base,
    objectId: entry.object ?? base.objectId,
    details: entry.details,
  });
  request.auditWritten = true;
}

/**
 * `journey.published`'s details (teams.md): the version and its diff from the version before
 * (from an empty graph for version 1), read in the publish's transaction.
 */
export async function publishedDetails(
  trx: Kysely<Database>,
  workspaceId: string,
  journeyId: string,
  version: number,
  graph: JourneyGraph,
) {
  const from = version > 1 ? await graphOf(trx, workspaceId, journeyId, version - 1) : EMPTY;
  return { version, diff: diffGraphs(from, graph) };
}

/**
 * Records every successful state-changing request through /api (and every contact export)
 * before its answer leaves, unless its route recorded it in its transaction (`auditWithin`).
 */
export function auditHooks(app: FastifyInstance): void {
  const { db } = app.runtime;
  app.decorateRequest('auditObject', null);
  app.decorateRequest('auditActor', null);
  app.decorateRequest('auditDetails', null);
  app.decorateRequest('auditWritten', false);

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.auditWritten) return payload;
    const entry = entryOf(request, reply.statusCode, payload);
    if (!entry) return payload;
    await appendAudit(db, { ...entry, details: request.auditDetails ?? undefined });
    return payload;
  });
}

export interface AuditQuery {
  object?: string;
  actor?: string;
  action?: string;
  limit: number;
  cursor?: string;
}

// The cursor is the sequence number of the page's last entry, which clients need not read.
const seqOf = (text: string) => (/^\d{1,19}$/.test(text) ? text : null);

/** The workspace's entries, newest first (in the order they were appended), a page at a time. */
export async function listAudit(db: Kysely<Database>, workspaceId: string, q: AuditQuery): Promise<AuditPage> {
  let query = db.selectFrom('audit_log').selectAll().where('workspace_id', '=', workspaceId);
  if (q.object) query = query.where('object_id', '=', q.object);
  if (q.actor) query = query.where(sql<string>`actor->>'id'`, '=', q.actor);
  if (q.action) query = query.where('action', '=', q.action);
  if (q.cursor) query = query.where('seq', '<', decodeCursor('audit', q.cursor, seqOf));
  const rows = await query
    .orderBy('seq', 'desc')
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  return {
    entries: page.map((r) => ({
      id: r.id,
      at: (r.at as unknown as Date).toISOString(),
      actor: r.actor,
      action: r.action,
      object: { type: r.object_type, id: r.object_id },
      ...(r.details === null ? {} : { details: r.details }),
    })),
    nextCursor: rows.length > q.limit ? encodeCursor('audit', String(page[page.length - 1]?.seq)) : null,
  };
}
