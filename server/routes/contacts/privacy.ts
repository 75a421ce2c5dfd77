import { type Channel, type ConsentStatus, NOT_BLANK_PATTERN } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { contactIdFor, survivorOf } from '../../../engine/contacts/merge/survivor.js';
import { setConsent } from '../../../engine/contacts/privacy/consent.js';
import { eraseContact } from '../../../engine/contacts/privacy/erase.js';
import { streamContactExport } from '../../../engine/contacts/privacy/export-stream.js';
import { countTriggerSteps, newTally } from '../../../engine/events/record.js';
import { idParams } from '../../schemas/ids.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';
import {
  anyObject,
  contactSchema,
  errorResponses,
  listMembershipSchema,
  mergedIntoSchema,
  redirectToSurvivor,
  tagStateSchema,
} from './schemas.js';

/** A contact's privacy: its erasure and GDPR export, and its consent per channel. */
export async function contactPrivacyRoutes(app: FastifyInstance) {
  const { db } = app.runtime;

  app.delete<{ Params: { id: string } }>(
    '/api/contacts/:id',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Erase a contact and every row holding its personal data (GDPR)',
        params: idParams,
        response: { 204: { type: 'null' }, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const workspaceId = workspaceOf(request);
      await eraseContact(
        db,
        workspaceId,
        await contactIdFor(db, workspaceId, request.params.id),
        app.runtime.keys.erasure.current,
        (trx) => auditWithin(request, trx),
      );
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/contacts/:id/export',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Everything stored about a contact (GDPR access)',
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: {
              contact: contactSchema,
              events: { type: 'array', items: anyObject, description: 'as GET /api/events shows them, oldest first' },
              tags: { type: 'array', items: tagStateSchema },
              lists: { type: 'array', items: listMembershipSchema },
              messages: {
                type: 'array',
                items: anyObject,
                description: 'as GET /api/messages/:id shows them (without allHeaders), oldest first',
              },
              runs: { type: 'array', items: anyObject, description: 'as GET /api/runs/:id shows them, oldest first' },
              leads: { type: 'array', items: anyObject, description: 'as GET /api/leads shows them, oldest first' },
              consents: {
                type: 'array',
                items: anyObject,
                description: 'every consent proof a form kept, oldest first',
              },
              suppressions: {
                type: 'array',
                items: anyObject,
                description: "bounces and complaints recorded against the contact's addresses, cleared ones included",
              },
              formSubmissions: {
                type: 'array',
                items: anyObject,
                description: 'form submissions kept for a double opt-in, with their values, confirmed or not',
              },
              splitAssignments: {
                type: 'array',
                items: anyObject,
                description: 'the split (experiment) variants assigned to the contact, oldest first',
              },
              segments: { type: 'array', items: anyObject, description: 'the core.segment triggers it is a member of' },
              merges: {
                type: 'array',
                items: anyObject,
                description: 'merges it took part in, with the copies of its data kept for an unmerge, oldest first',
              },
            },
            required: [
              'contact',
              'events',
              'tags',
              'lists',
              'messages',
              'runs',
              'leads',
              'consents',
              'suppressions',
              'formSubmissions',
              'splitAssignments',
              'segments',
              'merges',
            ],
          },
          301: mergedIntoSchema,
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const workspaceId = workspaceOf(request);
      const survivor = await survivorOf(db, workspaceId, request.params.id);
      if (survivor?.mergedAway) return redirectToSurvivor(reply, survivor.id, '/export');
      const text = await streamContactExport(db, workspaceId, request.params.id);
      return reply.type('application/json; charset=utf-8').send(text);
    },
  );

  app.put<{ Params: { id: string }; Body: { channel: Channel; status: ConsentStatus; source: string } }>(
    '/api/contacts/:id/consent',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Set consent for a channel; a change of status or source is recorded as a consent.changed event',
        params: idParams,
        body: {
          type: 'object',
          properties: {
            channel: { type: 'string', enum: ['email', 'sms'] },
            status: { type: 'string', enum: ['unknown', 'subscribed', 'unsubscribed'] },
            // What the consent rests on: every change keeps it in its consent.changed event.
            source: { type: 'string', pattern: NOT_BLANK_PATTERN },
          },
          required: ['channel', 'status', 'source'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { status: { type: 'string' }, source: { type: 'string' }, at: { type: 'string' } },
            required: ['status'],
          },
          ...errorResponses(400, 404),
        },
      },
    },
    async (request) => {
      const id = await contactIdFor(db, workspaceOf(request), request.params.id);
      const tally = newTally();
      const consent = await setConsent(db, id, request.body, tally, (trx) => auditWithin(request, trx));
      countTriggerSteps(app.runtime.metrics, tally);
      return consent;
    },
  );
}
