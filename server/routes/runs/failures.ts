import type { FastifyInstance } from 'fastify';
import {
  cancelBulkRetry,
  createBulkRetry,
  getBulkRetry,
  listBulkRetries,
} from '../../../engine/runs/failures/bulk-retry.js';
import { journeyFailures } from '../../../engine/runs/failures/failures-view.js';
import type { FailureFilter } from '../../../engine/runs/failures/types.js';
import { errorResponses } from '../../schemas/errors.js';
import { noBodyIsEmpty } from '../../schemas/optional-body.js';
import { stepErrorSchema } from '../../schemas/step-error.js';
import { versionNumber } from '../../schemas/version-number.js';
import { mayReadContacts } from '../../teams/access/contact-reads.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';
import { journeyIdParams } from '../journeys/schemas.js';

const tags = ['failures'];
const time = { type: 'string', format: 'date-time' } as const;
const list = { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 1000 } as const;

const filterProperties = {
  nodes: { ...list, description: 'failed at one of these nodes' },
  codes: { ...list, description: 'with one of these error codes (a trailing * matches a prefix)' },
  from: { ...time, description: 'failed at or after' },
  to: { ...time, description: 'failed before' },
  version: { ...versionNumber, description: 'move the runs onto this published version' },
} as const;

const jobSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    journeyId: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['running', 'completed', 'cancelled'] },
    filter: { type: 'object', properties: filterProperties },
    matched: { type: 'integer' },
    retried: { type: 'integer' },
    skipped: { type: 'integer' },
    runs: {
      type: 'object',
      description: 'the runs it retried, by their status now',
      properties: Object.fromEntries(
        ['running', 'waiting', 'completed', 'failed', 'exited'].map((k) => [k, { type: 'integer' }]),
      ),
      required: ['running', 'waiting', 'completed', 'failed', 'exited'],
    },
    createdAt: time,
    finishedAt: { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['id', 'journeyId', 'status', 'filter', 'matched', 'retried', 'skipped', 'runs', 'createdAt', 'finishedAt'],
} as const;

const jobParams = {
  type: 'object',
  properties: { ...journeyIdParams.properties, jobId: { type: 'string', format: 'uuid' } },
  required: ['id', 'jobId'],
} as const;

const groupSchema = {
  type: 'object',
  properties: {
    nodeId: { type: 'string' },
    code: { type: 'string' },
    count: { type: 'integer' },
    firstAt: time,
    lastAt: time,
    sample: {
      type: 'object',
      description: "the group's latest failure",
      properties: {
        runId: { type: 'string', format: 'uuid' },
        contactId: { type: ['string', 'null'] },
        contactEmail: {
          type: ['string', 'null'],
          description: "the contact's email (null: anonymous or none), only for a request with contacts:read",
        },
        version: { type: 'integer' },
        error: stepErrorSchema,
        at: time,
      },
      required: ['runId', 'contactId', 'version', 'error', 'at'],
    },
  },
  required: ['nodeId', 'code', 'count', 'firstAt', 'lastAt', 'sample'],
} as const;

/** API.md "Failures and retries": the failures view and bulk retries of a journey's failed runs. */
export async function failuresRoutes(app: FastifyInstance) {
  const { db } = app.runtime;

  app.get<{ Params: { id: string }; Querystring: { version?: number; from?: string; to?: string } }>(
    '/api/journeys/:id/failures',
    {
      schema: {
        tags,
        params: journeyIdParams,
        querystring: {
          type: 'object',
          properties: { version: filterProperties.version, from: filterProperties.from, to: filterProperties.to },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              total: { type: 'integer' },
              nodes: { type: 'object', additionalProperties: { type: 'integer' } },
              groups: { type: 'array', items: groupSchema },
            },
            required: ['total', 'nodes', 'groups'],
          },
          ...errorResponses(400, 404),
        },
      },
    },
    async (request) =>
      journeyFailures(db, workspaceOf(request), request.params.id, request.query, {
        contactEmails: mayReadContacts(request),
      }),
  );

  app.post<{ Params: { id: string }; Body: FailureFilter & { dryRun?: boolean } }>(
    '/api/journeys/:id/retry',
    {
      schema: {
        tags,
        params: journeyIdParams,
        // An object; no body at all is `{}` (every failed run), a JSON null is refused (400).
        body: {
          type: 'object',
          properties: { ...filterProperties, dryRun: { type: 'boolean', default: false } },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { matched: { type: 'integer' } }, required: ['matched'] },
          202: {
            type: 'object',
            properties: { jobId: { type: 'string', format: 'uuid' }, matched: { type: 'integer' } },
            required: ['jobId', 'matched'],
          },
          // 409: the journey is archived (dryRun too).
          ...errorResponses(400, 404, 409),
        },
      },
      // Before the schema, which then fills `dryRun`'s default.
      preValidation: noBodyIsEmpty,
    },
    async (request, reply) => {
      // Only a job made (202) records; a dry run makes none, and answers 200.
      const result = await createBulkRetry(db, workspaceOf(request), request.params.id, request.body, (trx, started) =>
        auditWithin(request, trx, { details: started, status: 202 }),
      );
      if (result.jobId === undefined) return { matched: result.matched };
      return reply.code(202).send(result);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/journeys/:id/retry',
    {
      schema: {
        tags,
        params: journeyIdParams,
        response: {
          200: { type: 'object', properties: { jobs: { type: 'array', items: jobSchema } }, required: ['jobs'] },
          ...errorResponses(400, 404),
        },
      },
    },
    async (request) => listBulkRetries(db, workspaceOf(request), request.params.id),
  );

  app.get<{ Params: { id: string; jobId: string } }>(
    '/api/journeys/:id/retry/:jobId',
    { schema: { tags, params: jobParams, response: { 200: jobSchema, ...errorResponses(400, 404) } } },
    async (request) => getBulkRetry(db, workspaceOf(request), request.params.id, request.params.jobId),
  );

  app.post<{ Params: { id: string; jobId: string } }>(
    '/api/journeys/:id/retry/:jobId/cancel',
    { schema: { tags, params: jobParams, response: { 200: jobSchema, ...errorResponses(400, 404, 409) } } },
    async (request) => {
      const { id, jobId } = request.params;
      return cancelBulkRetry(db, workspaceOf(request), id, jobId, (trx) =>
        auditWithin(request, trx, { details: { jobId } }),
      );
    },
  );
}
