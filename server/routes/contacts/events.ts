import { eventNameSchema, type JsonObject } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { withSurvivorContact } from '../../../engine/contacts/merge/survivor.js';
import { microseconds, pagesOn, timePage } from '../../../engine/db/cursor.js';
import { INDEX_KEY_MAX_LENGTH } from '../../../engine/db/index-keys.js';
import { recordIdentifiedEvent } from '../../../engine/events/identified.js';
import { countTriggerSteps, toContactEvent } from '../../../engine/events/record.js';
import { routeSpans } from '../../plugins/request-span.js';
import { uuid } from '../../schemas/ids.js';
import { pageCursor, pageLimit } from '../../schemas/paging.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { errorResponses, eventSchema } from './schemas.js';

interface EventBody {
  contactId?: string;
  email?: string;
  phone?: string;
  externalId?: string;
  name: string;
  properties?: JsonObject;
  timestamp?: string;
  idempotencyKey?: string;
}

interface EventQuery {
  contactId?: string;
  name?: string;
  limit: number;
  cursor?: string;
}

/** Events: store one (with everything it sets off) and read them back, newest first. */
export async function eventsRoutes(app: FastifyInstance) {
  const { db } = app.runtime;
  const spans = routeSpans('POST', '/api/events');

  app.post<{ Body: EventBody }>(
    '/api/events',
    {
      ...spans.hooks,
      schema: {
        tags: ['events'],
        summary: 'Record an event on a contact (an unknown identity creates the contact)',
        body: {
          type: 'object',
          properties: {
            contactId: { type: 'string', format: 'uuid' },
            email: { type: 'string' },
            phone: { type: 'string' },
            externalId: { type: 'string' },
            name: { ...eventNameSchema, maxLength: INDEX_KEY_MAX_LENGTH },
            properties: { type: 'object', additionalProperties: true },
            timestamp: { type: 'string', format: 'date-time' },
            idempotencyKey: { type: 'string', minLength: 1, maxLength: INDEX_KEY_MAX_LENGTH },
          },
          required: ['name'],
          additionalProperties: false,
          anyOf: [
            { required: ['contactId'] },
            { required: ['email'] },
            { required: ['phone'] },
            { required: ['externalId'] },
          ],
        },
        response: {
          202: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
          ...errorResponses(400, 404, 409, 413),
        },
      },
    },
    // The request's span parents the steps of the runs this event starts (API.md "Tracing").
    async (request, reply) =>
      spans.within(request, () =>
        // The whole of its database work under one of the process's ingest slots (`Runtime.ingestSlots`).
        app.runtime.ingestSlots(async () => {
          const body = request.body;
          // The identity alone: an event stores no time zone (API.md "Events"), a webhook payload does.
          const { email, phone, externalId } = body;
          const { id, ...started } = await recordIdentifiedEvent(
            db,
            workspaceOf(request),
            { contactId: body.contactId, email, phone, externalId },
            {
              name: body.name,
              properties: body.properties,
              timestamp: body.timestamp ? new Date(body.timestamp) : undefined,
              idempotencyKey: body.idempotencyKey,
            },
          );
          countTriggerSteps(app.runtime.metrics, started);
          return reply.code(202).send({ id });
        }),
      ),
  );

  app.get<{ Querystring: EventQuery }>(
    '/api/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Events, newest first, optionally of one contact and one name',
        querystring: {
          type: 'object',
          properties: {
            contactId: uuid,
            name: { type: 'string' },
            limit: pageLimit(1000, 100),
            cursor: pageCursor,
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { events: { type: 'array', items: eventSchema }, nextCursor: { type: ['string', 'null'] } },
            required: ['events', 'nextCursor'],
          },
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const { contactId, name, limit, cursor } = await withSurvivorContact(db, workspaceOf(request), request.query);
      const { rows } = await sql<{
        id: string;
        contact_id: string;
        name: string;
        properties: JsonObject;
        timestamp: Date;
        us: string;
      }>`
        select id, contact_id, name, properties, timestamp, ${microseconds('timestamp')} as us
        from events
        where workspace_id = ${workspaceOf(request)}
          ${contactId ? sql`and contact_id = ${contactId}` : sql``}
          ${name ? sql`and name = ${name}` : sql``}
          and ${pagesOn('events', cursor, 'timestamp')}
        order by timestamp desc, id desc
        limit ${limit + 1}`.execute(db);
      const { page, nextCursor } = timePage('events', rows, limit);
      return { events: page.map(toContactEvent), nextCursor };
    },
  );
}
