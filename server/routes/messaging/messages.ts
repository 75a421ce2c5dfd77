import { NotFoundError } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { withSurvivorContact } from '../../../engine/contacts/merge/survivor.js';
import { getMessage, listMessages } from '../../../engine/messages/queries.js';
import { errorResponses } from '../../schemas/errors.js';
import { idParams, uuid } from '../../schemas/ids.js';
import { pageCursor, pageLimit } from '../../schemas/paging.js';
import { workspaceOf } from '../../teams/access/workspace.js';

const nullableString = { type: ['string', 'null'] } as const;

const messageProperties = {
  id: { type: 'string' },
  runId: nullableString,
  nodeId: nullableString,
  contactId: nullableString,
  channel: { type: 'string' },
  category: { type: 'string', enum: ['marketing', 'transactional'] },
  subscription: { type: 'string', description: 'the marketing category (e.g. newsletter), when the node named one' },
  to: { type: 'string' },
  subject: { type: 'string' },
  status: { type: 'string', enum: ['queued', 'delayed', 'sent', 'suppressed', 'failed'] },
  reason: { type: 'string' },
  error: { type: 'string' },
  createdAt: { type: 'string', format: 'date-time' },
  sentAt: { type: 'string', format: 'date-time' },
  opens: { type: 'integer' },
  clicks: { type: 'integer' },
  credentialId: { ...nullableString, description: 'the sending credential; null for SMTP_URL or the outbox' },
  providerId: { ...nullableString, description: "the provider's id of the message, once sent" },
} as const;

const required = [
  'id',
  'runId',
  'nodeId',
  'contactId',
  'channel',
  'category',
  'to',
  'status',
  'createdAt',
  'opens',
  'clicks',
  'credentialId',
  'providerId',
];

const messageSchema = { type: 'object', properties: messageProperties, required } as const;

const messageDetailSchema = {
  type: 'object',
  properties: {
    ...messageProperties,
    html: { type: 'string' },
    text: { type: 'string' },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    allHeaders: {
      type: 'array',
      description:
        'an email the outbox kept: every header line it would go out with, in order (From, To, Subject, Message-ID, Date, MIME-Version, Content-Type, List-Unsubscribe …)',
      items: {
        type: 'object',
        properties: { name: { type: 'string' }, value: { type: 'string' } },
        required: ['name', 'value'],
      },
    },
  },
  required: [...required, 'headers'],
} as const;

/** The message log: every message sent, delayed or suppressed, and the outbox. */
export async function messagesRoutes(app: FastifyInstance) {
  const { db } = app.runtime;

  app.get<{ Querystring: { contactId?: string; runId?: string; status?: string; limit: number; cursor?: string } }>(
    '/api/messages',
    {
      schema: {
        tags: ['messages'],
        querystring: {
          type: 'object',
          properties: {
            contactId: uuid,
            runId: uuid,
            status: { type: 'string', enum: ['queued', 'delayed', 'sent', 'suppressed', 'failed'] },
            limit: pageLimit(1000, 100),
            cursor: pageCursor,
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { messages: { type: 'array', items: messageSchema }, nextCursor: nullableString },
            required: ['messages', 'nextCursor'],
          },
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const workspaceId = workspaceOf(request);
      return listMessages(db, workspaceId, await withSurvivorContact(db, workspaceId, request.query));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/messages/:id',
    {
      schema: {
        tags: ['messages'],
        params: idParams,
        response: { 200: messageDetailSchema, ...errorResponses(404) },
      },
    },
    async (request) => {
      const message = await getMessage(db, workspaceOf(request), request.params.id, app.runtime.config.publicUrl);
      if (!message) throw new NotFoundError(`no message ${request.params.id}`);
      return message;
    },
  );
}
