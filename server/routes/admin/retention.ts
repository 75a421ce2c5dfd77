import type { FastifyInstance } from 'fastify';
import { enforceRetention } from '../../../engine/retention/enforce.js';
import { loadRetention, parseRetention, saveRetention } from '../../../engine/retention/settings.js';
import { errorResponses } from '../../schemas/errors.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';

const duration = { type: 'string', description: 'ISO 8601 duration of whole years, months, weeks and days' } as const;
const settingsSchema = {
  type: 'object',
  description: 'How long each kind of data is kept; a key left out keeps it for ever',
  properties: { steps: duration, events: duration, messages: duration },
  additionalProperties: false,
} as const;
const cutoff = { type: ['string', 'null'], format: 'date-time' } as const;
const listed = { description: `${duration.description} (at least P1D); null or left out keeps it for ever` };
const LISTED_KEYS = { steps: listed, events: listed, messages: listed };

/** API.md "Retention": the request's workspace's settings, and enforcing them now. */
export async function retentionRoutes(app: FastifyInstance) {
  const { db } = app.runtime;

  app.get(
    '/api/settings/retention',
    { schema: { tags: ['settings'], response: { 200: settingsSchema, ...errorResponses() } } },
    async (request) => loadRetention(db, workspaceOf(request)),
  );

  app.put(
    '/api/settings/retention',
    {
      schema: {
        tags: ['settings'],
        // Checked by parseRetention, so every bad key is named by its JSON pointer: the keys are
        // listed for the document without a type, which JSON Schema then takes as any value.
        body: { ...settingsSchema, properties: LISTED_KEYS, additionalProperties: true },
        response: { 200: settingsSchema, ...errorResponses(400) },
      },
    },
    async (request) =>
      saveRetention(db, workspaceOf(request), parseRetention(request.body), (trx) => auditWithin(request, trx)),
  );

  app.post(
    '/api/settings/retention/enforce',
    {
      schema: {
        tags: ['settings'],
        summary: 'Enforce the retention settings now',
        response: {
          200: {
            type: 'object',
            properties: {
              cutoffs: {
                type: 'object',
                description: 'per kind, the time before which that data is gone; null when kept for ever',
                properties: { steps: cutoff, events: cutoff, messages: cutoff },
                required: ['steps', 'events', 'messages'],
              },
            },
            required: ['cutoffs'],
          },
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      // Recorded before the first delete (see enforceRetention): an entry refused deletes nothing.
      const cutoffs = await enforceRetention(db, workspaceOf(request), { wait: true }, (conn, enforcing) =>
        auditWithin(request, conn, { details: { cutoffs: enforcing } }),
      );
      return { cutoffs };
    },
  );
}
