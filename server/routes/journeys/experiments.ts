import type { FastifyInstance } from 'fastify';
import { journeyAnalytics } from '../../../engine/experiments/analytics.js';
import { clearWinner, overrideWinner } from '../../../engine/experiments/decide.js';
import { journeyExperiments } from '../../../engine/experiments/experiments.js';
import { errorResponses } from '../../schemas/errors.js';
import { noBodyIsEmpty } from '../../schemas/optional-body.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';
import * as s from './experiments-schemas.js';
import { journeyIdParams } from './schemas.js';

const tags = ['journeys'];
type IdParams = { id: string };
type WinnerParams = { id: string; nodeId: string };

/** API.md "Analytics" and "Experiments": rollup figures, split experiments and their winners. */
export async function experimentsRoutes(app: FastifyInstance) {
  const { db, registry } = app.runtime;

  app.get<{ Params: IdParams; Querystring: { from?: string; to?: string; bucket?: string; version?: number } }>(
    '/api/journeys/:id/analytics',
    {
      schema: {
        tags,
        params: journeyIdParams,
        querystring: s.analyticsQuery,
        response: { 200: s.analyticsSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) =>
      journeyAnalytics(db, registry, workspaceOf(request), request.params.id, request.query, new Date()),
  );

  app.get<{ Params: IdParams; Querystring: { metric?: string } }>(
    '/api/journeys/:id/experiments',
    {
      schema: {
        tags,
        params: journeyIdParams,
        querystring: s.experimentsQuery,
        response: { 200: s.experimentsSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => journeyExperiments(db, workspaceOf(request), request.params.id, request.query.metric),
  );

  const winnerSchema = {
    tags,
    params: s.winnerParams,
    // 409: a change to an archived journey.
    response: { 200: s.experimentSchema, ...errorResponses(400, 404, 409) },
  };
  app.post<{ Params: WinnerParams; Body: { variant: string } }>(
    '/api/journeys/:id/nodes/:nodeId/winner',
    // No body at all lacks its variant like `{}` does: 400 at /variant, as the contract names it.
    { schema: { ...winnerSchema, body: s.winnerBody }, preValidation: noBodyIsEmpty },
    async (request) => {
      const { id, nodeId } = request.params;
      const { variant } = request.body;
      return overrideWinner(db, workspaceOf(request), id, nodeId, variant, (trx, from) =>
        auditWithin(request, trx, { details: { nodeId, variant, from } }),
      );
    },
  );

  app.delete<{ Params: WinnerParams }>(
    '/api/journeys/:id/nodes/:nodeId/winner',
    { schema: winnerSchema },
    async (request) => {
      const { id, nodeId } = request.params;
      return clearWinner(db, workspaceOf(request), id, nodeId, (trx, from) =>
        auditWithin(request, trx, { details: { nodeId, from } }),
      );
    },
  );
}
