import type { FastifyInstance } from 'fastify';
import { queueComputedRefresh } from '../../../engine/computed/schedule.js';
import {
  type ComputedInput,
  deleteComputed,
  getComputed,
  listComputed,
  putComputed,
} from '../../../engine/computed/store.js';
import { errorResponses } from '../../schemas/errors.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';

const attributeSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    definition: { type: 'object', additionalProperties: true },
    refreshEvery: { type: 'string' },
    description: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['computing', 'ready'] },
    refreshedAt: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
  required: ['name', 'definition', 'refreshEvery', 'description', 'status', 'refreshedAt', 'createdAt', 'updatedAt'],
} as const;
const nameParams = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } as const;
const tags = ['computed attributes'];

/** Computed attributes: values kept current from events and contact data (contract identity.md). */
export async function computedAttributesRoutes(app: FastifyInstance) {
  const { db } = app.runtime;

  app.get(
    '/api/computed-attributes',
    {
      schema: {
        tags,
        response: {
          200: {
            type: 'object',
            properties: { computedAttributes: { type: 'array', items: attributeSchema } },
            required: ['computedAttributes'],
          },
          ...errorResponses(),
        },
      },
    },
    async (request) => ({ computedAttributes: await listComputed(db, workspaceOf(request)) }),
  );

  app.get<{ Params: { name: string } }>(
    '/api/computed-attributes/:name',
    { schema: { tags, params: nameParams, response: { 200: attributeSchema, ...errorResponses(404) } } },
    async (request) => getComputed(db, workspaceOf(request), request.params.name),
  );

  app.put<{ Params: { name: string }; Body: ComputedInput }>(
    '/api/computed-attributes/:name',
    {
      schema: {
        tags,
        summary: 'Define or replace a computed attribute; it is computed for every contact in the background',
        params: nameParams,
        body: {
          type: 'object',
          properties: {
            definition: { type: 'object', additionalProperties: true },
            refreshEvery: { type: 'string', description: 'ISO 8601 duration, at least PT10S (default PT1H)' },
            description: { type: ['string', 'null'] },
          },
          required: ['definition'],
          additionalProperties: false,
        },
        response: { 200: attributeSchema, 201: attributeSchema, ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const { attribute, created } = await putComputed(
        db,
        workspaceOf(request),
        request.params.name,
        request.body,
        (trx, made) => auditWithin(request, trx, { status: made ? 201 : 200 }),
      );
      if (attribute.status === 'computing') await queueComputedRefresh(db);
      return reply.code(created ? 201 : 200).send(attribute);
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/api/computed-attributes/:name',
    {
      schema: {
        tags,
        params: nameParams,
        response: { 204: { type: 'null' }, ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      await deleteComputed(db, workspaceOf(request), request.params.name, (trx) => auditWithin(request, trx));
      return reply.code(204).send();
    },
  );
}
