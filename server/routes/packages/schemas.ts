/** JSON Schemas of the package routes (contract packages.md). */

import { pageLimit } from '../../schemas/paging.js';

export const packageEntrySchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    version: { type: 'string' },
    source: { type: 'string', enum: ['builtin', 'environment', 'installed'] },
    description: { type: ['string', 'null'] },
    nodes: { type: 'array', items: { type: 'string', description: '<type>@<version>' } },
    credentials: { type: 'array', items: { type: 'string' } },
    error: { type: 'string', description: 'why the package did not load in the answering process' },
    integrity: { type: 'string', description: 'sha512-<base64> of the tarball (installed only)' },
    installedAt: { type: 'string', format: 'date-time' },
    dependencies: { type: 'object', additionalProperties: { type: 'string' } },
    usedBy: {
      type: 'array',
      items: {
        type: 'object',
        properties: { journeyId: { type: 'string' }, journeyName: { type: 'string' }, version: { type: 'integer' } },
        required: ['journeyId', 'journeyName', 'version'],
      },
    },
    loadErrors: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          process: { type: 'string' },
          message: { type: 'string' },
          at: { type: 'string', format: 'date-time' },
        },
        required: ['process', 'message', 'at'],
      },
    },
  },
  required: ['name', 'version', 'source', 'description', 'nodes', 'credentials'],
} as const;

export const packageDetailSchema = {
  ...packageEntrySchema,
  properties: { ...packageEntrySchema.properties, readme: { type: ['string', 'null'] } },
  required: [...packageEntrySchema.required, 'readme'],
} as const;

export const installBodySchema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 214 },
    version: { type: 'string', minLength: 1, maxLength: 256, description: 'a version, a range or a dist-tag' },
  },
  required: ['name'],
  additionalProperties: false,
} as const;

export const searchQuerySchema = {
  type: 'object',
  properties: {
    q: { type: 'string', maxLength: 200, default: '' },
    limit: pageLimit(100, 20),
  },
  additionalProperties: false,
} as const;

export const searchResultSchema = {
  type: 'object',
  properties: {
    results: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          version: { type: 'string' },
          description: { type: ['string', 'null'] },
          installed: { type: 'array', items: { type: 'string' } },
        },
        required: ['name', 'version', 'description', 'installed'],
      },
    },
  },
  required: ['results'],
} as const;
