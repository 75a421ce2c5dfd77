/** JSON Schemas of forms as the API takes and answers them (contracts/content.md "Forms"). */
import { listSchema, NOT_BLANK_PATTERN, tagSchema } from '@waymark/sdk';

const fieldSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    label: { type: 'string' },
    type: { type: 'string', enum: ['email', 'text', 'tel', 'textarea', 'checkbox', 'select', 'date', 'hidden'] },
    required: { type: 'boolean' },
    options: { type: 'array', items: { type: 'string' } },
    default: { anyOf: [{ type: 'string' }, { type: 'boolean' }] },
    mapTo: { type: ['string', 'null'] },
  },
  required: ['name', 'label', 'type'],
  additionalProperties: false,
} as const;

const nullableString = { type: ['string', 'null'] } as const;

const formProperties = {
  // A blank name cannot be told apart in the form list.
  name: { type: 'string', minLength: 1, maxLength: 200, pattern: NOT_BLANK_PATTERN },
  enabled: { type: 'boolean' },
  fields: { type: 'array', items: fieldSchema, maxItems: 100 },
  consentText: nullableString,
  lists: { type: 'array', items: listSchema },
  tags: { type: 'array', items: tagSchema },
  doubleOptIn: { type: 'boolean' },
  confirmationTemplateId: nullableString,
  confirmationFrom: nullableString,
  redirect: nullableString,
} as const;

export const formBody = {
  type: 'object',
  properties: formProperties,
  required: ['name', 'fields'],
  additionalProperties: false,
} as const;

export const formSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    version: { type: 'integer' },
    ...formProperties,
    fields: { type: 'array', items: { ...fieldSchema, required: ['name', 'label', 'type', 'required', 'mapTo'] } },
    url: { type: 'string' },
    embed: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
  required: [
    'id',
    'name',
    'version',
    'enabled',
    'fields',
    'consentText',
    'lists',
    'tags',
    'doubleOptIn',
    'confirmationTemplateId',
    'confirmationFrom',
    'redirect',
    'url',
    'embed',
    'createdAt',
    'updatedAt',
  ],
} as const;

export const formListSchema = {
  type: 'object',
  properties: {
    forms: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          version: { type: 'integer' },
          enabled: { type: 'boolean' },
          doubleOptIn: { type: 'boolean' },
          updatedAt: { type: 'string', format: 'date-time' },
        },
        required: ['id', 'name', 'version', 'enabled', 'doubleOptIn', 'updatedAt'],
      },
    },
  },
  required: ['forms'],
} as const;
