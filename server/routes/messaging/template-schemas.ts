import { NOT_BLANK_PATTERN } from '@waymark/sdk';
import { MAX_TEMPLATE_VERSION } from '../../../engine/content/templates.js';

/** JSON Schemas of templates, snippets and previews as the API takes and answers them (contracts/content.md). */

export const contentIdParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } },
  required: ['id'],
} as const;

export const contentBody = {
  type: 'object',
  properties: {
    // A blank name cannot be told apart in the template list or a journey's template picker.
    name: { type: 'string', minLength: 1, maxLength: 200, pattern: NOT_BLANK_PATTERN },
    format: { type: 'string', enum: ['mjml', 'html'] },
    subject: { type: 'string' },
    body: { type: 'string' },
    text: { type: ['string', 'null'] },
  },
  required: ['name', 'format', 'subject', 'body'],
  additionalProperties: false,
} as const;

const draftBody = {
  type: 'object',
  properties: {
    format: { type: 'string', enum: ['mjml', 'html'] },
    subject: { type: 'string' },
    body: { type: 'string' },
    text: { type: ['string', 'null'] },
  },
  required: ['format', 'subject', 'body'],
  additionalProperties: false,
} as const;

const versionEntry = {
  type: 'object',
  properties: { version: { type: 'integer' }, savedAt: { type: 'string', format: 'date-time' } },
  required: ['version', 'savedAt'],
} as const;

export const templateSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    format: { type: 'string', enum: ['mjml', 'html'] },
    subject: { type: 'string' },
    body: { type: 'string' },
    text: { type: ['string', 'null'] },
    version: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    versions: { type: 'array', items: versionEntry },
  },
  required: ['id', 'name', 'format', 'subject', 'body', 'text', 'version', 'createdAt', 'updatedAt', 'versions'],
} as const;

export const templateVersionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    version: { type: 'integer' },
    name: { type: 'string' },
    format: { type: 'string', enum: ['mjml', 'html'] },
    subject: { type: 'string' },
    body: { type: 'string' },
    text: { type: ['string', 'null'] },
    savedAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'version', 'name', 'format', 'subject', 'body', 'text', 'savedAt'],
} as const;

export const templateListSchema = {
  type: 'object',
  properties: {
    templates: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          format: { type: 'string' },
          version: { type: 'integer' },
          updatedAt: { type: 'string', format: 'date-time' },
        },
        required: ['id', 'name', 'format', 'version', 'updatedAt'],
      },
    },
  },
  required: ['templates'],
} as const;

const contactBody = {
  type: 'object',
  properties: {
    email: { type: ['string', 'null'] },
    phone: { type: ['string', 'null'] },
    externalId: { type: ['string', 'null'] },
    timezone: { type: ['string', 'null'] },
    attributes: { type: 'object' },
    tags: { type: 'array', items: { type: 'string', minLength: 1 } },
    lists: { type: 'array', items: { type: 'string', minLength: 1 } },
  },
  additionalProperties: false,
} as const;

const previewProperties = {
  contactId: { type: 'string', format: 'uuid' },
  contact: contactBody,
  trigger: { type: 'object' },
  category: { type: 'string', enum: ['marketing', 'transactional'] },
  version: { type: 'integer', minimum: 1, maximum: MAX_TEMPLATE_VERSION },
  draft: draftBody,
} as const;

// Every field is optional, so a preview may come with no body at all: the stored template for an empty contact.
export const previewBody = {
  type: ['object', 'null'],
  properties: previewProperties,
  additionalProperties: false,
} as const;

export const sendTestBody = {
  type: 'object',
  properties: {
    ...previewProperties,
    to: { type: 'string', format: 'email' },
    from: { type: 'string', minLength: 3 },
  },
  required: ['to', 'from'],
  additionalProperties: false,
} as const;

export const problemSchema = {
  type: 'object',
  properties: {
    code: { type: 'string' },
    severity: { type: 'string', enum: ['error', 'warning'] },
    message: { type: 'string' },
    part: { type: 'string', enum: ['subject', 'body', 'text'] },
    line: { type: 'integer' },
    column: { type: 'integer' },
    url: { type: 'string' },
    src: { type: 'string' },
    size: { type: 'integer' },
  },
  required: ['code', 'severity', 'message'],
} as const;

export const previewSchema = {
  type: 'object',
  properties: {
    subject: { type: ['string', 'null'] },
    html: { type: ['string', 'null'] },
    text: { type: ['string', 'null'] },
    size: { type: 'integer' },
    problems: { type: 'array', items: problemSchema },
  },
  required: ['subject', 'html', 'text', 'size', 'problems'],
} as const;

export const sendTestSchema = {
  type: 'object',
  properties: { messageId: { type: 'string', format: 'uuid' }, to: { type: 'string' }, subject: { type: 'string' } },
  required: ['messageId', 'to', 'subject'],
} as const;

export const snippetSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    body: { type: 'string' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
  required: ['name', 'body', 'updatedAt'],
} as const;
