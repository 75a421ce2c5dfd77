import type { FastifyReply } from 'fastify';

export { errorResponses } from '../../schemas/errors.js';

/** JSON Schemas of contacts, tags, lists and events as the API answers them (API.md "Contacts"). */

const consentSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['unknown', 'pending', 'subscribed', 'unsubscribed'] },
    source: { type: 'string' },
    at: { type: 'string' },
    proof: { type: 'object', additionalProperties: true },
  },
  required: ['status'],
} as const;

export const subscriptionSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['subscribed', 'unsubscribed'] },
    source: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
  },
  required: ['status', 'at'],
} as const;

const emailUndeliverableSchema = {
  type: 'object',
  properties: {
    reason: { type: 'string', enum: ['bounced'] },
    status: { type: ['string', 'null'], description: 'the delivery report’s status code, e.g. 5.1.1' },
    at: { type: 'string', format: 'date-time' },
  },
  required: ['reason', 'status', 'at'],
} as const;

export const tagStateSchema = {
  type: 'object',
  properties: {
    tag: { type: 'string' },
    count: { type: 'integer' },
    firstAddedAt: { type: 'string' },
    lastAddedAt: { type: 'string' },
    expiresAt: { type: ['string', 'null'] },
    active: { type: 'boolean' },
  },
  required: ['tag', 'count', 'firstAddedAt', 'lastAddedAt', 'expiresAt', 'active'],
} as const;

export const listMembershipSchema = {
  type: 'object',
  properties: { list: { type: 'string' }, addedAt: { type: 'string' } },
  required: ['list', 'addedAt'],
} as const;

/** The identity fields of a contact, as it and the contacts merged into it show them. */
const identityProperties = {
  id: { type: 'string' },
  email: { type: ['string', 'null'] },
  phone: { type: ['string', 'null'] },
  externalId: { type: ['string', 'null'] },
} as const;

const mergedFromSchema = {
  type: 'object',
  properties: {
    ...identityProperties,
    automatic: { type: 'boolean' },
    mergedAt: { type: 'string' },
    reversibleUntil: { type: 'string' },
    via: {
      type: 'string',
      description: 'the contact it was merged into, merged here since: it is unmerged with that one',
    },
  },
  required: ['id', 'email', 'phone', 'externalId', 'automatic', 'mergedAt', 'reversibleUntil'],
} as const;

export const contactSchema = {
  type: 'object',
  properties: {
    ...identityProperties,
    timezone: { type: ['string', 'null'] },
    attributes: { type: 'object', additionalProperties: true },
    consent: {
      type: 'object',
      properties: { email: consentSchema, sms: consentSchema },
      required: ['email', 'sms'],
    },
    subscriptions: {
      type: 'object',
      description:
        'per marketing category (e.g. newsletter); {} until the contact chose about one (always set on stored contacts)',
      additionalProperties: subscriptionSchema,
    },
    emailUndeliverable: {
      description: 'set while mail to the address is suppressed because it bounced; null otherwise',
      anyOf: [{ type: 'null' }, emailUndeliverableSchema],
    },
    tags: { type: 'array', items: tagStateSchema },
    lists: { type: 'array', items: listMembershipSchema },
    computed: {
      type: 'object',
      description: 'every defined computed attribute, null while first computed',
      additionalProperties: true,
    },
    attributeSources: {
      type: 'object',
      description: 'per top-level attribute, the source and time of the write that set its value',
      additionalProperties: {
        type: 'object',
        properties: { source: { type: 'string' }, at: { type: 'string' } },
        required: ['source', 'at'],
      },
    },
    mergedFrom: { type: 'array', items: mergedFromSchema, description: 'contacts merged into it, newest first' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
  required: [
    'id',
    'email',
    'phone',
    'externalId',
    'timezone',
    'attributes',
    'consent',
    'tags',
    'lists',
    'createdAt',
    'updatedAt',
  ],
} as const;

export const eventSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    contactId: { type: 'string' },
    name: { type: 'string' },
    properties: { type: 'object', additionalProperties: true },
    timestamp: { type: 'string' },
  },
  required: ['id', 'contactId', 'name', 'properties', 'timestamp'],
} as const;

/** A free-form JSON object in an answer (export rows): named so fastify's serializer keeps every field. */
export const anyObject = { type: 'object', additionalProperties: true } as const;

/** The answer of `POST /api/contacts/import`: the first 100 row failures, and how many failed in all. */
export const importResultSchema = {
  type: 'object',
  properties: {
    imported: { type: 'integer' },
    created: { type: 'integer' },
    updated: { type: 'integer' },
    merged: { type: 'integer', description: 'automatic merges the rows made' },
    failed: {
      type: 'array',
      description: 'the first 100 failures by row number (rows count data rows from 1)',
      maxItems: 100,
      items: {
        type: 'object',
        properties: { row: { type: 'integer' }, field: { type: 'string' }, error: { type: 'string' } },
        required: ['row', 'error'],
      },
    },
    failedCount: { type: 'integer', description: 'every row that failed, reported in `failed` or not' },
  },
  required: ['imported', 'created', 'updated', 'failed', 'failedCount'],
} as const;

/** The answer for a merged-away contact's id (contract identity.md). */
export const mergedIntoSchema = {
  type: 'object',
  description: 'the contact was merged away; Location names the contact it now is',
  properties: { mergedInto: { type: 'string' } },
  required: ['mergedInto'],
} as const;

/** Answers 301 to the survivor's own resource (`suffix` like `/export`), body `{ mergedInto }`. */
export function redirectToSurvivor(reply: FastifyReply, survivorId: string, suffix: string) {
  return reply.code(301).header('location', `/api/contacts/${survivorId}${suffix}`).send({ mergedInto: survivorId });
}
