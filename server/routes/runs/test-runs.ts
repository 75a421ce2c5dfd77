import { eventNameSchema } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { runTest } from '../../../engine/test-runs/run-test.js';
import type { TestRunRequest } from '../../../engine/test-runs/types.js';
import { MAX_TEST_STEPS } from '../../../engine/test-runs/walk.js';
import { errorResponses } from '../../schemas/errors.js';
import { noBodyIsEmpty } from '../../schemas/optional-body.js';
import { stepErrorSchema } from '../../schemas/step-error.js';
import { versionNumber } from '../../schemas/version-number.js';
import { mayReadContacts, requireContactReads } from '../../teams/access/contact-reads.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { contactSchema } from '../contacts/schemas.js';
import { journeyIdParams } from '../journeys/schemas.js';

const names = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const consentStatus = { type: 'string', enum: ['unknown', 'subscribed', 'unsubscribed'] } as const;
const nullableText = { type: ['string', 'null'] } as const;
const time = { type: 'string', format: 'date-time' } as const;

const body = {
  type: 'object',
  properties: {
    version: {
      description: 'a published version number, or "draft" (the default)',
      anyOf: [versionNumber, { type: 'string', enum: ['draft'] }],
    },
    contact: {
      type: 'object',
      description:
        'an existing contact as { "id" } (read, never written), or contact fields used as given and never stored; ' +
        'without it, the contact the trigger payload names (contactId, email, phone, externalId) or none',
      properties: {
        id: { type: 'string', format: 'uuid' },
        email: nullableText,
        phone: nullableText,
        externalId: nullableText,
        timezone: nullableText,
        attributes: { type: 'object', additionalProperties: true },
        tags: names,
        lists: names,
        consent: {
          type: 'object',
          properties: { email: consentStatus, sms: consentStatus },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    trigger: { type: 'object', additionalProperties: true, description: 'the trigger payload' },
    events: {
      type: 'array',
      description: 'events the contact does once its token has passed `afterNode`',
      items: {
        type: 'object',
        properties: {
          afterNode: { type: 'string', minLength: 1 },
          name: eventNameSchema,
          properties: { type: 'object', additionalProperties: true },
          delay: { type: 'string', description: 'ISO 8601 duration after the node (default: at once)' },
        },
        required: ['afterNode', 'name'],
        additionalProperties: false,
      },
    },
    live: { type: 'boolean', default: false, description: 'call http.request endpoints for real' },
    triggerNodeId: { type: 'string', minLength: 1, description: 'the trigger to start at (default: the first)' },
    startAt: { ...time, description: 'the simulated instant the walk starts at (default: now)' },
  },
  additionalProperties: false,
} as const;

const stepSchema = {
  type: 'object',
  properties: {
    nodeId: { type: 'string' },
    status: { type: 'string', enum: ['completed', 'failed', 'waiting'] },
    next: {
      anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }, { type: 'null' }],
      description: 'the output taken; a list when the step forked or ended the path; null when it took none',
    },
    output: {},
    error: stepErrorSchema,
    at: { ...time, description: 'when the token reached the node, on the simulated clock' },
    resumedAt: { ...time, description: 'when a waiting step went on' },
    resumedBy: { type: 'string', enum: ['time', 'event', 'timeout'] },
    attempts: { type: 'integer' },
    writes: {
      type: 'array',
      description: 'contact-store writes the node asked for: shown, never applied',
      items: {
        type: 'object',
        properties: {
          op: {
            type: 'string',
            enum: ['update', 'addTag', 'removeTag', 'addToList', 'removeFromList', 'recordEvent', 'createLead'],
          },
        },
        required: ['op'],
        additionalProperties: true,
      },
    },
  },
  required: ['nodeId', 'status', 'next', 'at', 'attempts'],
} as const;

const messageSchema = {
  type: 'object',
  properties: {
    nodeId: { type: 'string' },
    messageId: { type: 'string', format: 'uuid', description: 'made up for the test run; no such message is stored' },
    channel: { type: 'string' },
    category: { type: 'string', enum: ['marketing', 'transactional'] },
    to: { type: 'string' },
    from: { type: 'string' },
    replyTo: { type: 'string' },
    subject: { type: 'string' },
    html: { type: 'string' },
    text: { type: 'string' },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    status: { type: 'string', enum: ['queued', 'delayed', 'sent', 'suppressed', 'failed'] },
    reason: {
      type: 'string',
      enum: [
        'frequency-cap',
        'unsubscribed',
        'no-consent',
        'bounced',
        'complained',
        'holdout',
        'provider-suppressed',
        'quiet-hours',
      ],
    },
    at: time,
    delayedUntil: time,
  },
  required: ['nodeId', 'messageId', 'channel', 'category', 'to', 'headers', 'status', 'at'],
} as const;

const resultSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['completed', 'failed', 'exited'] },
    outcome: { type: 'string', description: 'the goal of the core.exit reached' },
    steps: { type: 'array', items: stepSchema },
    messages: { type: 'array', items: messageSchema },
    contact: { ...contactSchema, type: ['object', 'null'], description: 'the contact as the walk left it' },
  },
  required: ['status', 'steps', 'messages', 'contact'],
} as const;

/** API.md "Test runs": walk a draft or version for one contact without writing anything. */
export async function testRunsRoutes(app: FastifyInstance) {
  // Every field is optional, so a bare POST is a test run with the defaults (a JSON null is not).
  app.addHook('preValidation', noBodyIsEmpty);

  app.post<{ Params: { id: string }; Body: TestRunRequest }>(
    '/api/journeys/:id/test',
    {
      schema: {
        tags: ['journeys'],
        summary: 'Test-run a journey for one contact on a simulated clock; nothing is sent or stored',
        description: `Waits pass at once; at most ${MAX_TEST_STEPS} steps are walked.`,
        params: journeyIdParams,
        body,
        response: { 200: resultSchema, ...errorResponses(400, 404, 422) },
      },
    },
    async (request) => {
      // A stored contact's data shows in the walk: naming one needs contacts:read, and without
      // it an identity in the trigger payload is walked as a contact typed inline.
      const reads = mayReadContacts(request);
      const { contact, trigger } = request.body;
      if (!reads && ((contact && 'id' in contact) || (trigger?.contactId ?? null) !== null))
        requireContactReads(request);
      return runTest(app.runtime, workspaceOf(request), request.params.id, request.body, { readsContacts: reads });
    },
  );
}
