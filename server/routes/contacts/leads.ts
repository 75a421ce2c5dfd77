import { NotFoundError } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { withSurvivorContact } from '../../../engine/contacts/merge/survivor.js';
import { type LeadRow, toApiLead } from '../../../engine/leads/service.js';
import { errorResponses } from '../../schemas/errors.js';
import { idParams, uuid } from '../../schemas/ids.js';
import { workspaceOf } from '../../teams/access/workspace.js';

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

  app.get<{ Querystring: { owner?: string; status?: string; contactId?: string } }>(
    '/api/leads',
    {
      schema: {
        tags: ['leads'],
        querystring: {
          type: 'object',
          properties: { owner: { type: 'string' }, status: statusSchema, contactId: uuid },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { leads: { type: 'array', items: leadSchema } }, required: ['leads'] },
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const { owner, status, contactId } = await withSurvivorContact(db, workspaceOf(request), request.query);
      const { rows } = await sql<LeadRow>`
        select ${COLUMNS} from leads
        where workspace_id = ${workspaceOf(request)} and (${owner ?? null}::text is null or lower(owner) = lower(${owner ?? null}))
          and (${status ?? null}::text is null or status = ${status ?? null})
          and (${contactId ?? null}::uuid is null or contact_id = ${contactId ?? null}::uuid)
        order by created_at desc, id desc
        limit 1000`.execute(db);
      return { leads: rows.map(toApiLead) };
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
      const { rows } = await sql<LeadRow>`
        update leads set status = coalesce(${status ?? null}, status), owner = coalesce(${owner ?? null}, owner),
          updated_at = now()
        where id = ${id} and workspace_id = ${workspaceOf(request)} returning ${COLUMNS}`.execute(db);
      const row = rows[0];
      if (!row) throw new NotFoundError(`no lead ${id}`);
      return toApiLead(row);
    },
  );
}
