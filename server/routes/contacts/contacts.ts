import { ConflictError, type Filter, NotFoundError, ValidationError, validateFilter } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { mustNameComputed } from '../../../engine/computed/store.js';
import { type ContactInput, normalizeInput } from '../../../engine/contacts/identity/normalize.js';
import { upsertContacts } from '../../../engine/contacts/identity/upsert.js';
import { loadContact } from '../../../engine/contacts/load.js';
import { loadSurvivingContact, survivorOf } from '../../../engine/contacts/merge/survivor.js';
import { declareDeliverable } from '../../../engine/inbound/suppression.js';
import { findContacts } from '../../../engine/segments/preview.js';
import { unstorableTextError } from '../../plugins/storable-text.js';
import { idParams } from '../../schemas/ids.js';
import { pageCursor, pageLimit } from '../../schemas/paging.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';
import { contactSchema, errorResponses, mergedIntoSchema, redirectToSurvivor } from './schemas.js';

const nullableString = { type: ['string', 'null'] } as const;

function parseSegment(text: string | undefined): Filter | null {
  if (text === undefined || text === '') return null;
  let filter: unknown;
  try {
    filter = JSON.parse(text);
  } catch {
    throw new ValidationError('segment is not valid JSON', [{ path: '', message: 'segment is not valid JSON' }]);
  }
  // The filter's own rules first: they stop at 32 levels of clauses, and name a filter nested
  // too deep as a filter, where the walk below would stop only at any JSON's limit.
  const errors = validateFilter(filter, 'segment');
  if (errors.length) throw new ValidationError('the segment filter is invalid', errors);
  const unstorable = unstorableTextError('segment', filter);
  if (unstorable) throw unstorable;
  return filter as Filter;
}

/** Contacts: upsert, read and the segment preview (privacy.ts: erase, GDPR export, consent). */
export async function contactsRoutes(app: FastifyInstance) {
  const { db } = app.runtime;
  const mustExist = async (workspaceId: string, id: string) => {
    const contact = await loadContact(db, workspaceId, id);
    if (!contact) throw new NotFoundError(`no contact ${id}`);
    return contact;
  };

  app.post<{ Body: ContactInput & { emailUndeliverable?: null } }>(
    '/api/contacts',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Create or update a contact (matched by externalId, then email, then phone)',
        body: {
          type: 'object',
          properties: {
            email: nullableString,
            phone: nullableString,
            externalId: nullableString,
            timezone: nullableString,
            attributes: { type: 'object', additionalProperties: true },
            source: {
              type: 'string',
              pattern: '^[a-z0-9._-]{1,64}$',
              description: 'who writes (crm, webshop …): decides which attribute values win (default api)',
            },
            emailUndeliverable: {
              type: 'null',
              description: 'null declares the email deliverable again after a bounce: mail to it goes out again',
            },
          },
          additionalProperties: false,
        },
        response: { 200: contactSchema, 201: contactSchema, ...errorResponses(400, 409) },
      },
    },
    async (request, reply) => {
      const { value, errors } = normalizeInput(request.body);
      if (errors.length) throw new ValidationError(errors.map((e) => e.message).join('; '), errors);
      const workspaceId = workspaceOf(request);
      const [outcome] = await upsertContacts(db, workspaceId, [value], {
        onUpserted: async (trx, [done]) => {
          if (done?.ok) await auditWithin(request, trx, { object: done.contactId, status: done.created ? 201 : 200 });
        },
      });
      if (!outcome) throw new Error('upsert returned nothing');
      if (!outcome.ok && outcome.invalid)
        throw new ValidationError(outcome.error, [{ path: `/${outcome.field ?? ''}`, message: outcome.error }]);
      if (!outcome.ok) throw new ConflictError(outcome.error);
      // A merge may take the contact between the write and this read: answer its survivor.
      const contact = await loadSurvivingContact(db, workspaceId, outcome.contactId);
      if (!contact) throw new NotFoundError(`contact ${outcome.contactId} was erased after the write`);
      if (request.body.emailUndeliverable === null && (await declareDeliverable(db, workspaceId, [contact.id])).size)
        contact.emailUndeliverable = null;
      return reply.code(outcome.created ? 201 : 200).send(contact);
    },
  );

  app.get<{ Querystring: { segment?: string; limit: number; cursor?: string } }>(
    '/api/contacts',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Contacts matching a filter (segment preview), paged',
        querystring: {
          type: 'object',
          properties: {
            segment: { type: 'string', description: 'a filter as JSON (NODES.md "The filter language")' },
            limit: pageLimit(1000, 50),
            cursor: pageCursor,
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              contacts: { type: 'array', items: contactSchema },
              total: { type: 'integer' },
              nextCursor: nullableString,
            },
            required: ['contacts', 'total', 'nextCursor'],
          },
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const { segment, limit, cursor } = request.query;
      const workspaceId = workspaceOf(request);
      const filter = parseSegment(segment);
      await mustNameComputed(db, workspaceId, filter);
      return findContacts(db, workspaceId, filter, { limit, cursor });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/contacts/:id',
    {
      schema: {
        tags: ['contacts'],
        summary: 'A contact with its tags and lists',
        params: idParams,
        response: { 200: contactSchema, 301: mergedIntoSchema, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const workspaceId = workspaceOf(request);
      const survivor = await survivorOf(db, workspaceId, request.params.id);
      if (survivor?.mergedAway) return redirectToSurvivor(reply, survivor.id, '');
      return mustExist(workspaceId, request.params.id);
    },
  );
}
