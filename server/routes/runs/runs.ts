import { ValidationError } from '@waymark/sdk';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { withSurvivorContact } from '../../../engine/contacts/merge/survivor.js';
import { cancelRun } from '../../../engine/runs/cancel-run.js';
import { retryRun } from '../../../engine/runs/failures/retry-run.js';
import { listRuns, type RunFilter, withContactEmail } from '../../../engine/runs/view/list-runs.js';
import { getRun } from '../../../engine/runs/view/run-view.js';
import type { RunView } from '../../../engine/runs/view/types.js';
import { errorResponses } from '../../schemas/errors.js';
import { idParams } from '../../schemas/ids.js';
import { noBodyIsEmpty } from '../../schemas/optional-body.js';
import { pageCursor, pageLimit } from '../../schemas/paging.js';
import { stepErrorSchema } from '../../schemas/step-error.js';
import { versionNumber } from '../../schemas/version-number.js';
import { mayReadContacts, requireContactReads } from '../../teams/access/contact-reads.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';

const tags = ['runs'];
const statuses = ['running', 'waiting', 'completed', 'failed', 'exited'];

const runProperties = {
  id: { type: 'string', format: 'uuid' },
  journeyId: { type: 'string', format: 'uuid' },
  version: { type: 'integer' },
  contactId: { type: ['string', 'null'] },
  status: { type: 'string', enum: statuses },
  outcome: { type: 'string', description: 'the goal of the core.exit the run reached' },
  trigger: { description: 'the trigger payload' },
  startedAt: { type: 'string', format: 'date-time' },
  endedAt: { type: ['string', 'null'], format: 'date-time' },
  failure: {
    type: 'object',
    description: 'while the run is failed: the node, its step error and when',
    properties: { nodeId: { type: 'string' }, error: stepErrorSchema, at: { type: 'string', format: 'date-time' } },
    required: ['nodeId', 'error', 'at'],
  },
  contactEmail: {
    type: ['string', 'null'],
    description: "the contact's email (null: anonymous or none), only for a request with contacts:read",
  },
  conversion: {
    type: ['object', 'null'],
    description: "the journey goal's conversion: the event's timestamp and id",
    properties: { at: { type: 'string', format: 'date-time' }, eventId: { type: 'string', format: 'uuid' } },
    required: ['at', 'eventId'],
  },
} as const;
const runRequired = ['id', 'journeyId', 'version', 'contactId', 'status', 'startedAt', 'endedAt', 'conversion'];

export const runWithSteps = {
  type: 'object',
  properties: {
    ...runProperties,
    steps: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          nodeId: { type: 'string' },
          status: { type: 'string', enum: ['completed', 'failed', 'waiting'] },
          output: {},
          error: stepErrorSchema,
          attempts: { type: 'integer' },
          startedAt: { type: ['string', 'null'], format: 'date-time' },
          finishedAt: { type: ['string', 'null'], format: 'date-time' },
          wakeAt: {
            type: 'string',
            format: 'date-time',
            description:
              "a waiting step's due time, when it goes on by itself: a wait's end, a wait-for-event's timeout (an event may come first), the end of the quiet hours holding its message",
          },
        },
        required: ['nodeId', 'status', 'attempts', 'startedAt', 'finishedAt'],
      },
    },
    cancelledSteps: {
      type: 'array',
      description:
        "steps the run's end stopped before they finished (a cancel, an archive, an exitOn event, an exit or a failure on another branch), in order: a token parked in a wait or in flight, or queued and never started (startedAt null)",
      items: {
        type: 'object',
        properties: {
          nodeId: { type: 'string' },
          startedAt: { type: ['string', 'null'], format: 'date-time' },
          cancelledAt: { type: 'string', format: 'date-time' },
        },
        required: ['nodeId', 'startedAt', 'cancelledAt'],
      },
    },
  },
  required: [...runRequired, 'steps', 'cancelledSteps'],
} as const;

/** API.md "Runs": list with filters and cursor paging, one run with its steps, cancel. */
export async function runsRoutes(app: FastifyInstance) {
  const { db } = app.runtime;
  // A contact's email is contact data: shown to a reader of contacts only, as in the list.
  const shown = <R extends RunView>(request: FastifyRequest, run: R): Promise<R> | R =>
    mayReadContacts(request) ? withContactEmail(db, workspaceOf(request), run) : run;

  app.get<{ Querystring: RunFilter }>(
    '/api/runs',
    {
      schema: {
        tags,
        querystring: {
          type: 'object',
          properties: {
            journeyId: { type: 'string', format: 'uuid' },
            version: {
              ...versionNumber,
              description: 'with journeyId: only runs of this version of the journey (400 without journeyId)',
            },
            contactId: { type: 'string', format: 'uuid' },
            status: { type: 'string', enum: statuses },
            nodeId: { type: 'string', minLength: 1, description: 'failed runs whose failure is at this node' },
            code: {
              type: 'string',
              minLength: 1,
              description: 'failed runs whose failure has this error code (a trailing * matches a prefix)',
            },
            step: { type: 'string', minLength: 1, description: 'runs with a step at this node (a canvas count)' },
            stepStatus: {
              type: 'string',
              enum: ['completed', 'failed', 'waiting'],
              description: 'with step: only steps in this status (the waiting, done or failed count)',
            },
            output: {
              type: 'string',
              minLength: 1,
              description: 'with step: only steps that left by this output (an edge)',
            },
            q: {
              type: 'string',
              minLength: 1,
              maxLength: 200,
              description:
                "part of the contact's email or external id (needs contacts:read, as contactEmail in the answer does)",
            },
            limit: pageLimit(1000, 100),
            cursor: pageCursor,
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              runs: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: runProperties,
                  required: runRequired,
                },
              },
              nextCursor: { type: ['string', 'null'] },
            },
            required: ['runs', 'nextCursor'],
          },
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const workspaceId = workspaceOf(request);
      // A version number belongs to one journey: across journeys it would mix unrelated versions.
      if (request.query.version !== undefined && request.query.journeyId === undefined) {
        const message = 'version filters the runs of one journey: give journeyId too';
        throw new ValidationError(message, [{ path: '/version', message }]);
      }
      // A contact's email is contact data: a token scoped to journeys alone neither reads nor searches it.
      if (request.query.q !== undefined) requireContactReads(request);
      const filter = await withSurvivorContact(db, workspaceId, request.query);
      return listRuns(db, workspaceId, filter, { contactEmails: mayReadContacts(request) });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/runs/:id',
    { schema: { tags, params: idParams, response: { 200: runWithSteps, ...errorResponses(400, 404) } } },
    async (request) => shown(request, await getRun(db, workspaceOf(request), request.params.id)),
  );

  app.post<{ Params: { id: string }; Body: { version?: number } }>(
    '/api/runs/:id/retry',
    {
      schema: {
        tags,
        params: idParams,
        // An object, as the bulk retry's: no body at all is `{}`, a JSON null is refused (400).
        body: {
          type: 'object',
          properties: { version: { ...versionNumber, description: 'move the run onto this version' } },
          additionalProperties: false,
        },
        response: { 200: runWithSteps, ...errorResponses(400, 404, 409) },
      },
      preValidation: noBodyIsEmpty,
    },
    async (request) =>
      shown(
        request,
        await retryRun(
          db,
          workspaceOf(request),
          request.params.id,
          request.body.version !== undefined ? { version: request.body.version } : {},
          (trx) => auditWithin(request, trx),
        ),
      ),
  );

  app.post<{ Params: { id: string } }>(
    '/api/runs/:id/cancel',
    { schema: { tags, params: idParams, response: { 200: runWithSteps, ...errorResponses(400, 404, 409) } } },
    async (request) =>
      shown(request, await cancelRun(db, workspaceOf(request), request.params.id, (trx) => auditWithin(request, trx))),
  );
}
