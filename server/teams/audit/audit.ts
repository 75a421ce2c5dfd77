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

/**
 * Records every successful state-changing request through /api (and every contact export)
 * before its answer leaves, with the journey diffs the contract asks for.
 */
export function auditHooks(app: FastifyInstance): void {
  const { db } = app.runtime;
  app.decorateRequest('auditObject', null);
  app.decorateRequest('auditActor', null);
  app.decorateRequest('auditDetails', null);

  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.url === '/api/journeys/:id/draft' && request.method === 'PUT') {
      const id = (request.params as { id: string }).id;
      const workspaceId = request.standing?.workspace?.id ?? '';
      const before = await graphOf(db, workspaceId, id, 'draft').catch(() => null);
      request.auditDetails = { before };
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const url = request.routeOptions.url ?? '';
    if (reply.statusCode >= 300 || !url.startsWith('/api/')) return payload;
    const action = auditAction(request.method, url, reply.statusCode);
    if (!action) return payload;
    const actor = actorOf(request);
    const workspaceId = request.standing?.workspace?.id ?? request.auditActor?.workspaceId ?? null;
    if (!actor || !workspaceId) return payload;
    const objectType = action.split('.')[0] as string;
    const id = objectId(request, payload);
    let details: unknown;
    if (action === 'journey.published' && id && typeof payload === 'string') {
      const version = (JSON.parse(payload) as { version: number }).version;
      const from = version > 1 ? await graphOf(db, workspaceId, id, version - 1) : EMPTY;
      details = { version, diff: diffGraphs(from, await graphOf(db, workspaceId, id, version)) };
    } else if (action === 'journey.draft_saved' && id) {
      const before = (request.auditDetails?.before as JourneyGraph | null) ?? EMPTY;
      details = { diff: diffGraphs(before, await graphOf(db, workspaceId, id, 'draft')) };
    } else if (request.auditDetails && !('before' in request.auditDetails)) details = request.auditDetails;
    await appendAudit(db, {
      workspaceId,
      actor,
      action: action === 'contact.created' && reply.statusCode === 200 ? 'contact.updated' : action,
      objectType: objectType === 'contacts' ? 'contact' : objectType,
      objectId: id,
      details,
    });
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
