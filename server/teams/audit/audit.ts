import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { decodeCursor, encodeCursor } from '../../../engine/db/cursor.js';
import type { Database } from '../../../engine/db/database.js';
import { diffGraphs } from '../../../engine/graph/diff.js';
import type { JourneyGraph } from '../../../engine/graph/types.js';
import { graphOf } from '../../../engine/journeys/versions.js';
import { auditAction } from './audit-actions.js';

export type Actor = { type: 'user' | 'token' | 'system'; id: string | null; name: string; email?: string };

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

export interface AuditEntry {
  workspaceId: string;
  actor: Actor;
  action: string;
  objectType: string;
  objectId: string | null;
  details?: unknown;
}

/** Appends one entry; the table refuses UPDATE and DELETE. */
export async function appendAudit(db: Kysely<Database>, e: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      workspace_id: e.workspaceId,
      actor: JSON.stringify(e.actor),
      action: e.action,
      object_type: e.objectType,
      object_id: e.objectId,
      details: e.details === undefined ? null : JSON.stringify(e.details),
    })
    .execute();
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

/**
 * Appends the request's entry (as a 200 answer records it) with `details` inside `trx`, the
 * transaction of the change itself, which the route's store function hands its caller: the
 * entry commits or rolls back with the change, and reads what that very change saw (a draft's
 * diff from the draft it replaced, under the journey's lock). The answer then records nothing
 * more.
 *
 * @example
 * await saveDraft(db, workspaceId, id, draft, (trx, previous) =>
 *   auditWithin(request, trx, { diff: diffGraphs(previous, draft.graph) }));
 */
export async function auditWithin(request: FastifyRequest, trx: Kysely<Database>, details?: unknown): Promise<void> {
  const entry = entryOf(request, 200, undefined);
  if (!entry) return;
  await appendAudit(trx, { ...entry, details });
  request.auditWritten = true;
}

/**
 * Records every successful state-changing request through /api (and every contact export)
 * before its answer leaves, with the version diff of a publish, unless its route recorded it
 * in its transaction (`auditWithin`).
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
    const { workspaceId, objectId: id } = entry;
    let details: unknown = request.auditDetails ?? undefined;
    if (entry.action === 'journey.published' && id && typeof payload === 'string') {
      // Published versions never change: reading them after the commit reads what was published.
      const version = (JSON.parse(payload) as { version: number }).version;
      const from = version > 1 ? await graphOf(db, workspaceId, id, version - 1) : EMPTY;
      details = { version, diff: diffGraphs(from, await graphOf(db, workspaceId, id, version)) };
    }
    await appendAudit(db, { ...entry, details });
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
export async function listAudit(db: Kysely<Database>, workspaceId: string, q: AuditQuery) {
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
