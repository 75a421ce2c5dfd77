import { NotFoundError } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { withSurvivorContact } from '../../../engine/contacts/merge/survivor.js';
import { microseconds, pagesOn, timePage } from '../../../engine/db/cursor.js';
import { type LeadRow, toApiLead } from '../../../engine/leads/service.js';
import { errorResponses } from '../../schemas/errors.js';
import { idParams, uuid } from '../../schemas/ids.js';
import { pageCursor, pageLimit } from '../../schemas/paging.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';

const nullableString = { type: ['string', 'null'] } as const;
const statusSchema = { type: 'string', enum: ['open', 'won', 'lost'] } as const;

const leadSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    title: { type: 'string' },
    contactId: nullableString,
    owner: { type: 'string' },
    status: statusSchema,
    createdAt: { type: 'string', format: 'date-time' },
    source: {
      type: 'object',
      properties: { journeyId: nullableString, runId: nullableString, nodeId: nullableString },
      required: ['journeyId', 'runId', 'nodeId'],
    },
  },
  required: ['id', 'title', 'contactId', 'owner', 'status', 'createdAt', 'source'],
} as const;

const COLUMNS = sql`id, title, contact_id, owner, status, created_at, journey_id, run_id, node_id`;

/** Leads for salespeople: list with filters, change status or owner. */
export async function leadsRoutes(app: FastifyInstance) {
  const { db } = app.runtime;

  app.get<{
    Querystring: { owner?: string; status?: string; contactId?: string; limit: number; cursor?: string };
  }>(
    '/api/leads',
    {
      schema: {
        tags: ['leads'],
        querystring: {
          type: 'object',
          properties: {
            owner: { type: 'string' },
            status: statusSchema,
            contactId: uuid,
            // The default is the 1000 the list always held, so a client that does not page sees what it saw.
            limit: pageLimit(1000, 1000),
            cursor: pageCursor,
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { leads: { type: 'array', items: leadSchema }, nextCursor: nullableString },
            required: ['leads', 'nextCursor'],
          },
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const { owner, status, contactId, limit, cursor } = await withSurvivorContact(
        db,
        workspaceOf(request),
        request.query,
      );
      const { rows } = await sql<LeadRow & { us: string }>`
        select ${COLUMNS}, ${microseconds('created_at')} as us from leads
        where workspace_id = ${workspaceOf(request)} and (${owner ?? null}::text is null or lower(owner) = lower(${owner ?? null}))
          and (${status ?? null}::text is null or status = ${status ?? null})
          and (${contactId ?? null}::uuid is null or contact_id = ${contactId ?? null}::uuid)
          and ${pagesOn('leads', cursor, 'created_at')}
        order by created_at desc, id desc
        limit ${limit + 1}`.execute(db);
      const { page, nextCursor } = timePage('leads', rows, limit);
      return { leads: page.map(toApiLead), nextCursor };
    },
  );

  app.patch<{ Params: { id: string }; Body: { status?: 'open' | 'won' | 'lost'; owner?: string } }>(
    '/api/leads/:id',
    {
      schema: {
        tags: ['leads'],
        params: idParams,
        body: {
          type: 'object',
          properties: { status: statusSchema, owner: { type: 'string', format: 'email' } },
          additionalProperties: false,
        },
        response: { 200: leadSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { status, owner } = request.body;
      const row = await db.transaction().execute(async (trx) => {
        const { rows } = await sql<LeadRow>`
          update leads set status = coalesce(${status ?? null}, status), owner = coalesce(${owner ?? null}, owner),
            updated_at = now()
          where id = ${id} and workspace_id = ${workspaceOf(request)} returning ${COLUMNS}`.execute(trx);
        if (!rows[0]) throw new NotFoundError(`no lead ${id}`);
        await auditWithin(request, trx);
        return rows[0];
      });
      return toApiLead(row);
    },
  );
}
