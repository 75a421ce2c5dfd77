import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../../schemas/errors.js';
import { pageCursor, pageLimit } from '../../schemas/paging.js';
import { listAudit } from '../../teams/audit/audit.js';

const entrySchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    at: { type: 'string', format: 'date-time' },
    actor: {
      type: 'object',
      properties: {
        type: { type: 'string', enum: ['user', 'token', 'system'] },
        id: { type: ['string', 'null'] },
        name: { type: 'string' },
        email: { type: 'string' },
      },
      required: ['type', 'id', 'name'],
    },
    action: { type: 'string' },
    object: {
      type: 'object',
      properties: { type: { type: 'string' }, id: { type: ['string', 'null'] } },
      required: ['type', 'id'],
    },
    details: {},
  },
  required: ['id', 'at', 'actor', 'action', 'object'],
} as const;

/** teams.md "Audit log": the workspace's append-only log, newest first. */
export async function auditRoutes(app: FastifyInstance) {
  const { db } = app.runtime;
  app.get<{ Querystring: { object?: string; actor?: string; action?: string; limit: number; cursor?: string } }>(
    '/api/audit',
    {
      schema: {
        tags: ['audit'],
        summary: "The workspace's audit log, newest first",
        querystring: {
          type: 'object',
          properties: {
            object: { type: 'string', maxLength: 200 },
            actor: { type: 'string', maxLength: 200 },
            action: { type: 'string', maxLength: 100 },
            limit: pageLimit(1000, 100),
            cursor: pageCursor,
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { entries: { type: 'array', items: entrySchema }, nextCursor: { type: ['string', 'null'] } },
            required: ['entries', 'nextCursor'],
          },
          ...errorResponses(400),
        },
      },
    },
    async (request) => listAudit(db, request.standing.workspace?.id as string, request.query),
  );
}
