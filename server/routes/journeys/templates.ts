import type { FastifyInstance } from 'fastify';
import { settingsSchema } from '../../../engine/graph/types.js';
import { JOURNEY_TEMPLATES } from '../../../engine/journey-templates/index.js';
import { errorResponses } from '../../schemas/errors.js';
import { graphResponseSchema } from './schemas.js';

const templateSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    graph: graphResponseSchema,
    settings: settingsSchema,
  },
  required: ['id', 'name', 'description', 'graph'],
} as const;

/**
 * The gallery of "Create journey". `POST /api/journeys { name, template }` makes a draft of one;
 * fields left empty for the marketer to fill in make that draft's validation name them.
 */
export async function journeyTemplatesRoutes(app: FastifyInstance) {
  app.get(
    '/api/journey-templates',
    {
      schema: {
        tags: ['journeys'],
        response: {
          200: {
            type: 'object',
            properties: { templates: { type: 'array', items: templateSchema } },
            required: ['templates'],
          },
          ...errorResponses(),
        },
      },
    },
    async () => ({ templates: JOURNEY_TEMPLATES }),
  );
}
