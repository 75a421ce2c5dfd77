import { listSchema, tagSchema } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { unlessErased } from '../../../engine/contacts/lock.js';
import { contactIdFor } from '../../../engine/contacts/merge/survivor.js';
import {
  addTag,
  addToList,
  listLists,
  listTags,
  removeFromList,
  removeTag,
  setTagLifespan,
} from '../../../engine/contacts/tags.js';
import { idParams } from '../../schemas/ids.js';
import { tagLifespan } from '../../schemas/tag-lifespan.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';
import { errorResponses, listMembershipSchema, tagStateSchema } from './schemas.js';

/** Tags with their default lifespans, lists with their member counts, and a contact's tags and lists. */
export async function tagsListsRoutes(app: FastifyInstance) {
  const { db } = app.runtime;
  const tagSummary = {
    type: 'object',
    properties: {
      tag: { type: 'string' },
      ttlSeconds: { type: ['number', 'null'] },
      activeContacts: { type: 'integer' },
      contacts: { type: 'integer' },
    },
    required: ['tag', 'ttlSeconds', 'activeContacts', 'contacts'],
  } as const;

  app.get(
    '/api/tags',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Every tag with its default lifespan and how many contacts carry it',
        response: {
          200: { type: 'object', properties: { tags: { type: 'array', items: tagSummary } }, required: ['tags'] },
          ...errorResponses(),
        },
      },
    },
    async (request) => ({ tags: await listTags(db, workspaceOf(request)) }),
  );

  app.put<{ Params: { tag: string }; Body: { ttlSeconds: number | null } }>(
    '/api/tags/:tag',
    {
      schema: {
        tags: ['contacts'],
        summary: "Set a tag's default lifespan (null: never expires)",
        params: { type: 'object', properties: { tag: tagSchema }, required: ['tag'] },
        body: {
          type: 'object',
          properties: { ttlSeconds: tagLifespan },
          required: ['ttlSeconds'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { tag: { type: 'string' }, ttlSeconds: { type: ['number', 'null'] } },
            required: ['tag', 'ttlSeconds'],
          },
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const { tag } = request.params;
      await setTagLifespan(db, workspaceOf(request), tag, request.body.ttlSeconds, (trx) => auditWithin(request, trx));
      return { tag, ttlSeconds: request.body.ttlSeconds };
    },
  );

  app.get(
    '/api/lists',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Every list with its member count',
        response: {
          200: {
            type: 'object',
            properties: {
              lists: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { list: { type: 'string' }, members: { type: 'integer' } },
                  required: ['list', 'members'],
                },
              },
            },
            required: ['lists'],
          },
          ...errorResponses(),
        },
      },
    },
    async (request) => ({ lists: await listLists(db, workspaceOf(request)) }),
  );

  app.post<{ Params: { id: string }; Body: { tag: string; ttlSeconds?: number | null } }>(
    '/api/contacts/:id/tags',
    {
      schema: {
        tags: ['contacts'],
        summary: "Add a tag (count + 1, reactivated); without ttlSeconds the tag's default lifespan applies",
        params: idParams,
        body: {
          type: 'object',
          properties: {
            tag: tagSchema,
            ttlSeconds: tagLifespan,
          },
          required: ['tag'],
          additionalProperties: false,
        },
        response: { 200: tagStateSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const id = await contactIdFor(db, workspaceOf(request), request.params.id);
      return unlessErased(id, () =>
        addTag(db, id, request.body.tag, request.body.ttlSeconds, (trx) => auditWithin(request, trx)),
      );
    },
  );

  app.delete<{ Params: { id: string; tag: string } }>(
    '/api/contacts/:id/tags/:tag',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Turn a tag inactive (its count stays)',
        params: {
          type: 'object',
          properties: { id: idParams.properties.id, tag: { type: 'string' } },
          required: ['id', 'tag'],
        },
        response: { 204: { type: 'null' }, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const id = await contactIdFor(db, workspaceOf(request), request.params.id);
      await removeTag(db, id, request.params.tag, (trx) => auditWithin(request, trx));
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { id: string }; Body: { list: string } }>(
    '/api/contacts/:id/lists',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Add a contact to a static list',
        params: idParams,
        body: {
          type: 'object',
          properties: { list: listSchema },
          required: ['list'],
          additionalProperties: false,
        },
        response: { 200: listMembershipSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const id = await contactIdFor(db, workspaceOf(request), request.params.id);
      return unlessErased(id, () => addToList(db, id, request.body.list, (trx) => auditWithin(request, trx)));
    },
  );

  app.delete<{ Params: { id: string; list: string } }>(
    '/api/contacts/:id/lists/:list',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Remove a contact from a list',
        params: {
          type: 'object',
          properties: { id: idParams.properties.id, list: { type: 'string' } },
          required: ['id', 'list'],
        },
        response: { 204: { type: 'null' }, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const id = await contactIdFor(db, workspaceOf(request), request.params.id);
      await removeFromList(db, id, request.params.list, (trx) => auditWithin(request, trx));
      return reply.code(204).send();
    },
  );
}
