import { type ErrorDetail, parseDuration, ValidationError, validateFilter } from '@waymark/sdk';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JourneyStatus } from '../../../engine/db/tables/journeys.js';
import { diffGraphs } from '../../../engine/graph/diff.js';
import type { JourneyGraph, JourneySettings } from '../../../engine/graph/types.js';
import { journeyTemplate } from '../../../engine/journey-templates/index.js';
import { validateDraft } from '../../../engine/journeys/draft-check.js';
import { createJourney, getJourney, listJourneys, saveDraft, updateJourney } from '../../../engine/journeys/edit.js';
import { publishJourney } from '../../../engine/journeys/publish.js';
import { journeyStatsFor } from '../../../engine/journeys/stats.js';
import { archiveJourney, setPaused } from '../../../engine/journeys/status.js';
import type { Journey } from '../../../engine/journeys/types.js';
import { getVersion, graphOf } from '../../../engine/journeys/versions.js';
import type { BodyCheck } from '../../plugins/body-checks.js';
import { errorResponses } from '../../schemas/errors.js';
import { versionNumber } from '../../schemas/version-number.js';
import { readableGraph, readableJourney } from '../../teams/access/journey-reads.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin, publishedDetails } from '../../teams/audit/audit.js';
import { ifMatchRevisions, withDraftEtag } from './draft-etag.js';
import * as s from './schemas.js';

type IdParams = { id: string };
const tags = ['journeys'];
// Journeys may be large drawings; the default 1 MiB is meant for webhooks and events.
const GRAPH_BODY_LIMIT = 10 * 1024 * 1024;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A rate-limit window must be a duration and a goal's filter a filter; JSON Schema alone cannot
 * say so. Run with the schema (plugins/body-checks.ts), so the body may be of any shape.
 */
const checkSettings: BodyCheck = (request) => {
  const settings = isObject(request.body) ? request.body.settings : undefined;
  if (!isObject(settings)) return [];
  const problems: ErrorDetail[] = [];
  const filter = isObject(settings.goal) ? settings.goal.filter : undefined;
  if (isObject(filter)) problems.push(...validateFilter(filter, 'event', '/settings/goal/filter'));
  const window = isObject(settings.webhookRateLimit) ? settings.webhookRateLimit.window : undefined;
  if (typeof window === 'string' && !((parseDuration(window) ?? 0) > 0)) {
    const path = '/settings/webhookRateLimit/window';
    problems.push({ path, message: `body${path} must be a positive ISO 8601 duration such as PT1M` });
  }
  return problems;
};

/** A create body naming a template starts from its graph and settings; its own settings win. */
function fromTemplate<B extends { graph?: JourneyGraph; settings?: Partial<JourneySettings> }>(
  body: B,
  templateId: string | undefined,
): B {
  if (templateId === undefined) return body;
  if (body.graph) {
    throw new ValidationError('the request body is invalid', [
      { path: '/graph', message: 'give either a graph or a template, not both' },
    ]);
  }
  const template = journeyTemplate(templateId);
  return { ...body, graph: template.graph, settings: { ...template.settings, ...body.settings } };
}

/** API.md "Journeys": drafts, validation, publishing, versions, diffs, pause/resume, archive, stats. */
export async function journeysRoutes(app: FastifyInstance) {
  const { db, registry } = app.runtime;
  // Every journey answer: its draft as the request may read it, with the draft's ETag.
  const sendJourney = (request: FastifyRequest, reply: FastifyReply, journey: Journey) =>
    withDraftEtag(reply, readableJourney(request, registry, journey));

  app.post<{
    Body: {
      name: string;
      graph?: JourneyGraph;
      settings?: Partial<JourneySettings>;
      tags?: string[];
      template?: string;
    };
  }>(
    '/api/journeys',
    {
      bodyLimit: GRAPH_BODY_LIMIT,
      config: { bodyCheck: checkSettings },
      schema: { tags, body: s.createBody, response: { 201: s.taggedJourneySchema, ...errorResponses(400, 413) } },
    },
    async (request, reply) => {
      const { template, ...body } = request.body;
      const made = await createJourney(db, workspaceOf(request), fromTemplate(body, template), (trx, id) =>
        auditWithin(request, trx, { object: id }),
      );
      return reply.code(201).send(sendJourney(request, reply, made));
    },
  );

  app.get<{ Querystring: { tag?: string; status?: JourneyStatus } }>(
    '/api/journeys',
    {
      schema: {
        tags,
        querystring: s.listQuery,
        response: {
          200: {
            type: 'object',
            properties: { journeys: { type: 'array', items: s.journeySummarySchema } },
            required: ['journeys'],
          },
          ...errorResponses(),
        },
      },
    },
    async (request) => ({ journeys: await listJourneys(db, workspaceOf(request), request.query) }),
  );

  const one = { tags, params: s.journeyIdParams };
  // 409: a change to an archived journey; reading one answers it as it is.
  const journeyAnswer = { 200: s.taggedJourneySchema, ...errorResponses(400, 404, 409) };

  app.get<{ Params: IdParams }>(
    '/api/journeys/:id',
    { schema: { ...one, response: { 200: s.taggedJourneySchema, ...errorResponses(400, 404) } } },
    async (request, reply) => {
      return sendJourney(request, reply, await getJourney(db, workspaceOf(request), request.params.id));
    },
  );

  app.patch<{ Params: IdParams; Body: { name?: string; settings?: Partial<JourneySettings>; tags?: string[] } }>(
    '/api/journeys/:id',
    { config: { bodyCheck: checkSettings }, schema: { ...one, body: s.patchBody, response: journeyAnswer } },
    async (request, reply) => {
      const journey = await updateJourney(db, workspaceOf(request), request.params.id, request.body, (trx) =>
        auditWithin(request, trx),
      );
      return sendJourney(request, reply, journey);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/api/journeys/:id',
    { schema: { ...one, response: { 204: { type: 'null' }, ...errorResponses(400, 404) } } },
    async (request, reply) => {
      await archiveJourney(db, workspaceOf(request), request.params.id, (trx) => auditWithin(request, trx));
      return reply.code(204).send();
    },
  );

  app.put<{
    Params: IdParams;
    Headers: { 'if-match'?: string };
    Body: { graph: JourneyGraph; settings?: Partial<JourneySettings> };
  }>(
    '/api/journeys/:id/draft',
    {
      bodyLimit: GRAPH_BODY_LIMIT,
      config: { bodyCheck: checkSettings },
      schema: {
        ...one,
        headers: s.draftHeaders,
        body: s.draftBody,
        response: { ...journeyAnswer, ...errorResponses(412) },
      },
    },
    async (request, reply) => {
      const { graph } = request.body;
      const ifRevisions = ifMatchRevisions(request.headers['if-match']);
      const saved = await saveDraft(
        db,
        workspaceOf(request),
        request.params.id,
        request.body,
        (trx, previous) => auditWithin(request, trx, { details: { diff: diffGraphs(previous, graph) } }),
        ifRevisions,
      );
      return sendJourney(request, reply, saved);
    },
  );

  app.post<{ Params: IdParams }>(
    '/api/journeys/:id/validate',
    { schema: { ...one, response: { 200: s.validationResultSchema, ...errorResponses(400, 404) } } },
    async (request) => {
      const errors = await validateDraft(db, registry, workspaceOf(request), request.params.id);
      return errors.length ? { valid: false, errors } : { valid: true };
    },
  );

  app.post<{ Params: IdParams }>(
    '/api/journeys/:id/publish',
    {
      schema: {
        ...one,
        response: {
          201: { type: 'object', properties: { version: { type: 'integer' } }, required: ['version'] },
          ...errorResponses(400, 404, 409, 422),
        },
      },
    },
    async (request, reply) => {
      const workspaceId = workspaceOf(request);
      const { id } = request.params;
      const published = await publishJourney(db, registry, workspaceId, id, async (trx, { version, graph }) =>
        auditWithin(request, trx, { details: await publishedDetails(trx, workspaceId, id, version, graph) }),
      );
      return reply.code(201).send(published);
    },
  );

  app.get<{ Params: IdParams & { version: number } }>(
    '/api/journeys/:id/versions/:version',
    {
      schema: {
        tags,
        params: {
          type: 'object',
          properties: { ...s.journeyIdParams.properties, version: versionNumber },
          required: ['id', 'version'],
        },
        response: { 200: s.versionSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const version = await getVersion(db, workspaceOf(request), request.params.id, request.params.version);
      return { ...version, graph: readableGraph(request, registry, version.graph) };
    },
  );

  app.get<{ Params: IdParams; Querystring: { from: number | 'draft'; to: number | 'draft' } }>(
    '/api/journeys/:id/diff',
    { schema: { ...one, querystring: s.diffQuery, response: { 200: s.diffSchema, ...errorResponses(400, 404) } } },
    async (request) => {
      const { id } = request.params;
      const workspaceId = workspaceOf(request);
      await getJourney(db, workspaceId, id);
      const [from, to] = await Promise.all([
        graphOf(db, workspaceId, id, request.query.from),
        graphOf(db, workspaceId, id, request.query.to),
      ]);
      return diffGraphs(readableGraph(request, registry, from), readableGraph(request, registry, to));
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Params: IdParams }>(
      `/api/journeys/:id/${action}`,
      { schema: { ...one, response: journeyAnswer } },
      async (request, reply) => {
        const journey = await setPaused(db, workspaceOf(request), request.params.id, action === 'pause', (trx) =>
          auditWithin(request, trx),
        );
        return sendJourney(request, reply, journey);
      },
    );
  }

  app.get<{ Params: IdParams; Querystring: { version?: number } }>(
    '/api/journeys/:id/stats',
    {
      schema: {
        ...one,
        querystring: {
          type: 'object',
          properties: { version: { ...versionNumber, description: 'default: every version together' } },
          additionalProperties: false,
        },
        response: { 200: s.statsSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => journeyStatsFor(db, workspaceOf(request), request.params.id, request.query.version),
  );
}
