import type { FastifyInstance } from 'fastify';
import { qualityReport } from '../../../engine/contacts/quality.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { errorResponses } from './schemas.js';

const groupCount = {
  type: 'object',
  properties: { groups: { type: 'integer' }, contacts: { type: 'integer' } },
  required: ['groups', 'contacts'],
} as const;

const reportSchema = {
  type: 'object',
  properties: {
    contacts: { type: 'integer' },
    withoutAddress: { type: 'integer' },
    duplicates: {
      type: 'object',
      properties: { email: groupCount, phone: groupCount },
      required: ['email', 'phone'],
    },
    mixedTypes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          attribute: { type: 'string' },
          types: { type: 'object', additionalProperties: { type: 'integer' } },
        },
        required: ['attribute', 'types'],
      },
    },
    suggestedMerges: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          contactIds: { type: 'array', items: { type: 'string' } },
          reason: { type: 'string', enum: ['email', 'phone'] },
          value: { type: 'string' },
        },
        required: ['contactIds', 'reason', 'value'],
      },
    },
    generatedAt: { type: 'string' },
  },
  required: ['contacts', 'withoutAddress', 'duplicates', 'mixedTypes', 'suggestedMerges', 'generatedAt'],
} as const;

/** The data quality report (contract identity.md "Data quality"). */
export async function contactQualityRoutes(app: FastifyInstance) {
  app.get(
    '/api/contacts/quality',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Contacts without an address, duplicates, attributes of mixed types and suggested merges',
        response: { 200: reportSchema, ...errorResponses() },
      },
    },
    async (request) => qualityReport(app.runtime.db, workspaceOf(request)),
  );
}
