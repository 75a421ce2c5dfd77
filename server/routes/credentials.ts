import { type JsonObject, NotFoundError, ValidationError } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { isUuid } from '../../engine/contacts/load.js';
import { encryptJson } from '../../engine/credentials/crypto.js';
import { compileParams } from '../../engine/graph/params-schema.js';
import { errorResponses } from '../schemas/errors.js';
import { workspaceOf } from '../teams/workspace.js';

const credentialSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    type: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'name', 'type', 'createdAt'],
} as const;

const idParams = {
  type: 'object',
  properties: { id: { type: 'string' } },
  required: ['id'],
} as const;

interface CredentialRow {
  id: string;
  name: string;
  type: string;
  // Generated<Timestamp> selects as the column type; pg hands back a Date.
  created_at: unknown;
}

const toApi = (r: CredentialRow) => ({
  id: r.id,
  name: r.name,
  type: r.type,
  createdAt: new Date(r.created_at as Date).toISOString(),
});

/** Credentials: stored encrypted, validated against their type's schema, never returned. */
export async function credentialsRoutes(app: FastifyInstance) {
  const { db, registry, keys } = app.runtime;

  /** Checks data against the credential type's schema; problems point into the body's `data`. */
  const check = (type: string, data: JsonObject) => {
    const definition = registry.credential(type);
    if (!definition) {
      throw new ValidationError(`no credential type ${type}`, [
        { path: '/type', message: `unknown credential type ${type}` },
      ]);
    }
    const validate = compileParams(definition.schema);
    const details = validate(data)
      ? []
      : (validate.errors ?? []).map((e) => {
          const missing =
            e.keyword === 'required' ? `/${(e.params as { missingProperty: string }).missingProperty}` : '';
          const path = `/data${e.instancePath}${missing}`;
          return { path, message: `${path} ${e.keyword === 'required' ? 'is required' : (e.message ?? 'is invalid')}` };
        });
    if (details.length) throw new ValidationError(`data does not fit credential type ${type}`, details);
  };

  app.post<{ Body: { name: string; type: string; data: JsonObject } }>(
    '/api/credentials',
    {
      schema: {
        tags: ['credentials'],
        body: {
          type: 'object',
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            type: { type: 'string', minLength: 1 },
            data: { type: 'object' },
          },
          required: ['name', 'type', 'data'],
          additionalProperties: false,
        },
        response: { 201: credentialSchema, ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const { name, type, data } = request.body;
      check(type, data);
      const row = await db
        .insertInto('credentials')
        .values({ workspace_id: workspaceOf(request), name, type, data_encrypted: encryptJson(keys.credentials, data) })
        .returning(['id', 'name', 'type', 'created_at'])
        .executeTakeFirstOrThrow();
      return reply.code(201).send(toApi(row));
    },
  );

  app.get(
    '/api/credentials',
    {
      schema: {
        tags: ['credentials'],
        response: {
          200: {
            type: 'object',
            properties: { credentials: { type: 'array', items: credentialSchema } },
            required: ['credentials'],
          },
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const rows = await db
        .selectFrom('credentials')
        .select(['id', 'name', 'type', 'created_at'])
        .where('workspace_id', '=', workspaceOf(request))
        .orderBy('created_at')
        .execute();
      return { credentials: rows.map(toApi) };
    },
  );

  app.put<{ Params: { id: string }; Body: { name?: string; data?: JsonObject } }>(
    '/api/credentials/:id',
    {
      schema: {
        tags: ['credentials'],
        params: idParams,
        body: {
          type: 'object',
          properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, data: { type: 'object' } },
          additionalProperties: false,
        },
        response: { 200: credentialSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const workspaceId = workspaceOf(request);
      const current = isUuid(id)
        ? await db
            .selectFrom('credentials')
            .select(['type'])
            .where('workspace_id', '=', workspaceId)
            .where('id', '=', id)
            .executeTakeFirst()
        : undefined;
      if (!current) throw new NotFoundError(`no credential ${id}`);
      const { name, data } = request.body;
      if (data) check(current.type, data);
      const row = await db
        .updateTable('credentials')
        .set({
          updated_at: sql`now()`,
          ...(name !== undefined ? { name } : {}),
          ...(data ? { data_encrypted: encryptJson(keys.credentials, data) } : {}),
        })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .returning(['id', 'name', 'type', 'created_at'])
        .executeTakeFirstOrThrow();
      return toApi(row);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/credentials/:id',
    {
      schema: {
        tags: ['credentials'],
        params: idParams,
        response: { 204: { type: 'null' }, ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const deleted = isUuid(id)
        ? await db
            .deleteFrom('credentials')
            .where('workspace_id', '=', workspaceOf(request))
            .where('id', '=', id)
            .executeTakeFirst()
        : null;
      if (!deleted || Number(deleted.numDeletedRows) === 0) throw new NotFoundError(`no credential ${id}`);
      return reply.code(204).send();
    },
  );
}
