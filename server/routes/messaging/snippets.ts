import type { FastifyInstance } from 'fastify';
import { deleteSnippet, getSnippet, listSnippets, putSnippet } from '../../../engine/content/snippets.js';
import { errorResponses } from '../../schemas/errors.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';
import { snippetSchema } from './template-schemas.js';

const nameParams = {
  type: 'object',
  properties: { name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } },
  required: ['name'],
} as const;
type NameParams = { Params: { name: string } };

/** Snippets that templates insert with `{% render 'name' %}` (contracts/content.md). */
export async function snippetsRoutes(app: FastifyInstance) {
  const { db } = app.runtime;

  app.put<NameParams & { Body: { body: string } }>(
    '/api/snippets/:name',
    {
      schema: {
        tags: ['templates'],
        params: nameParams,
        body: {
          type: 'object',
          properties: { body: { type: 'string' } },
          required: ['body'],
          additionalProperties: false,
        },
        response: { 200: snippetSchema, 201: snippetSchema, ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const saved = await putSnippet(db, workspaceOf(request), request.params.name, request.body.body, (trx, created) =>
        auditWithin(request, trx, { status: created ? 201 : 200 }),
      );
      return reply.code(saved.created ? 201 : 200).send(saved.snippet);
    },
  );

  app.get(
    '/api/snippets',
    {
      schema: {
        tags: ['templates'],
        response: {
          200: {
            type: 'object',
            properties: {
              snippets: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { name: { type: 'string' }, updatedAt: { type: 'string', format: 'date-time' } },
                  required: ['name', 'updatedAt'],
                },
              },
            },
            required: ['snippets'],
          },
          ...errorResponses(),
        },
      },
    },
    async (request) => ({ snippets: await listSnippets(db, workspaceOf(request)) }),
  );

  app.get<NameParams>(
    '/api/snippets/:name',
    { schema: { tags: ['templates'], params: nameParams, response: { 200: snippetSchema, ...errorResponses(404) } } },
    async (request) => getSnippet(db, workspaceOf(request), request.params.name),
  );

  app.delete<NameParams>(
    '/api/snippets/:name',
    {
      schema: { tags: ['templates'], params: nameParams, response: { 204: { type: 'null' }, ...errorResponses(404) } },
    },
    async (request, reply) => {
      await deleteSnippet(db, workspaceOf(request), request.params.name, (trx) => auditWithin(request, trx));
      return reply.code(204).send();
    },
  );
}
