import { type ErrorDetail, type JsonObject, NOT_BLANK_PATTERN, NotFoundError, ValidationError } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { decryptJson, encryptJson } from '../../../engine/credentials/crypto.js';
import { endpointProblems } from '../../../engine/credentials/endpoint-address.js';
import type { CredentialView } from '../../../engine/credentials/types.js';
import { compileParams } from '../../../engine/graph/params-schema.js';
import type { NodeRegistry } from '../../../engine/registry/registry.js';
import { schemaDetails } from '../../../engine/schema-details.js';
import { assertDomainFree, completeDkimData, DKIM_TYPE } from '../../../engine/sending/dkim.js';
import { replaceHeldMessages } from '../../../engine/sending/rate-change.js';
import { rateBacklog } from '../../../engine/sending/send-rate.js';
import { sendRateOf } from '../../../engine/sending/senders.js';
import type { BodyCheck } from '../../plugins/body-checks.js';
import { errorResponses } from '../../schemas/errors.js';
import { idParams } from '../../schemas/ids.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';

// A blank name cannot be told apart in the node inspector's credential picker.
const nameSchema = { type: 'string', minLength: 1, maxLength: 200, pattern: NOT_BLANK_PATTERN } as const;

const credentialSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    type: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    channel: {
      type: ['string', 'null'],
      description: 'the channel a sending credential sends (email.send / sms.send accept it), else null',
    },
  },
  required: ['id', 'name', 'type', 'createdAt', 'channel'],
} as const;

interface CredentialRow {
  id: string;
  name: string;
  type: string;
  // Generated<Timestamp> selects as the column type; pg hands back a Date.
  created_at: unknown;
}

const toApi = (registry: NodeRegistry, r: CredentialRow): CredentialView => ({
  id: r.id,
  name: r.name,
  type: r.type,
  createdAt: new Date(r.created_at as Date).toISOString(),
  channel: registry.credential(r.type)?.sender?.channel ?? null,
});

/** Credentials: stored encrypted, validated against their type's schema, never returned. */
export async function credentialsRoutes(app: FastifyInstance) {
  const { db, registry, keys, config } = app.runtime;

  /** Data against the credential type's schema: the problems, pointing into the body's `data`. */
  const dataProblems = (type: string, data: JsonObject): ErrorDetail[] => {
    const definition = registry.credential(type);
    if (!definition) return [{ path: '/type', message: `unknown credential type ${type}` }];
    const validate = compileParams(definition.schema);
    if (!validate(data)) return schemaDetails(validate.errors, { at: '/data', label: 'body' });
    const checked = (definition.check?.(data) ?? []).map((p) => ({ path: `/data${p.path ?? ''}`, message: p.message }));
    // A sender's endpoint is where its steps will call: the private-address rule of ctx.http, at once.
    return [...checked, ...(definition.sender ? endpointProblems(data, config.httpAllowPrivate) : [])];
  };

  /** A new credential's data, checked with the body's schema (plugins/body-checks.ts): the body may be of any shape. */
  const checkNewData: BodyCheck = (request) => {
    const { type, data } = (request.body ?? {}) as { type?: unknown; data?: unknown };
    const isObject = typeof data === 'object' && data !== null && !Array.isArray(data);
    return typeof type === 'string' && isObject ? dataProblems(type, data as JsonObject) : [];
  };

  /**
   * The data to store, inside the saving transaction: a DKIM key is completed (lower-cased
   * domain, generated key) and must be its domain's only one in the workspace.
   */
  const prepare = async (trx: typeof db, workspaceId: string, type: string, data: JsonObject, id: string | null) => {
    if (type !== DKIM_TYPE) return data;
    const completed = completeDkimData(data);
    await assertDomainFree(trx, workspaceId, keys.credentials, String(completed.domain), id);
    return completed;
  };

  app.post<{ Body: { name: string; type: string; data: JsonObject } }>(
    '/api/credentials',
    {
      config: { bodyCheck: checkNewData },
      schema: {
        tags: ['credentials'],
        body: {
          type: 'object',
          properties: {
            name: nameSchema,
            type: { type: 'string', minLength: 1 },
            data: { type: 'object' },
          },
          required: ['name', 'type', 'data'],
          additionalProperties: false,
        },
        response: { 201: credentialSchema, ...errorResponses(400, 409) },
      },
    },
    async (request, reply) => {
      const { name, type, data } = request.body;
      const workspaceId = workspaceOf(request);
      const row = await db.transaction().execute(async (trx) => {
        const made = await trx
          .insertInto('credentials')
          .values({
            workspace_id: workspaceId,
            name,
            type,
            data_encrypted: encryptJson(keys.credentials, await prepare(trx, workspaceId, type, data, null)),
          })
          .returning(['id', 'name', 'type', 'created_at'])
          .executeTakeFirstOrThrow();
        await auditWithin(request, trx, { object: made.id });
        return made;
      });
      return reply.code(201).send(toApi(registry, row));
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
      return { credentials: rows.map((r) => toApi(registry, r)) };
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
          properties: { name: nameSchema, data: { type: 'object' } },
          additionalProperties: false,
        },
        response: { 200: credentialSchema, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const workspaceId = workspaceOf(request);
      const current = await db
        .selectFrom('credentials')
        .select(['type'])
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!current) throw new NotFoundError(`no credential ${id}`);
      const { name, data } = request.body;
      const problems = data ? dataProblems(current.type, data) : [];
      if (problems.length) throw new ValidationError(`data does not fit credential type ${current.type}`, problems);
      const row = await db.transaction().execute(async (trx) => {
        const stored = data ? await prepare(trx, workspaceId, current.type, data, id) : null;
        // Messages held for the old rate go at the new one (sending.md "Send rates and the backlog").
        if (stored && registry.credential(current.type)?.sender) await replaceHeldMessages(trx, id, sendRateOf(stored));
        const changed = await trx
          .updateTable('credentials')
          .set({
            updated_at: sql`now()`,
            ...(name !== undefined ? { name } : {}),
            ...(stored ? { data_encrypted: encryptJson(keys.credentials, stored) } : {}),
          })
          .where('workspace_id', '=', workspaceId)
          .where('id', '=', id)
          .returning(['id', 'name', 'type', 'created_at'])
          .executeTakeFirstOrThrow();
        await auditWithin(request, trx);
        return changed;
      });
      return toApi(registry, row);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/credentials/:id/backlog',
    {
      schema: {
        tags: ['credentials'],
        summary: "A sending credential's messages held for its send rate",
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: {
              credentialId: { type: 'string' },
              maxPerSecond: { type: ['integer', 'null'] },
              queued: { type: 'integer' },
              oldestQueuedAt: { type: ['string', 'null'], format: 'date-time' },
            },
            required: ['credentialId', 'maxPerSecond', 'queued', 'oldestQueuedAt'],
          },
          ...errorResponses(404),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const workspaceId = workspaceOf(request);
      const row = await db
        .selectFrom('credentials')
        .select(['data_encrypted'])
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) throw new NotFoundError(`no credential ${id}`);
      const rate = decryptJson(keys.credentials, row.data_encrypted).maxPerSecond;
      const { queued, oldestQueuedAt } = await rateBacklog(db, workspaceId, id);
      return {
        credentialId: id,
        maxPerSecond: typeof rate === 'number' ? rate : null,
        queued,
        oldestQueuedAt: oldestQueuedAt?.toISOString() ?? null,
      };
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
      await db.transaction().execute(async (trx) => {
        const deleted = await trx
          .deleteFrom('credentials')
          .where('workspace_id', '=', workspaceOf(request))
          .where('id', '=', id)
          .executeTakeFirst();
        if (Number(deleted.numDeletedRows) === 0) throw new NotFoundError(`no credential ${id}`);
        await auditWithin(request, trx);
      });
      return reply.code(204).send();
    },
  );
}
