import type { FastifyInstance } from 'fastify';
import { secretFields } from '../../../engine/credentials/secret-fields.js';
import type { CredentialTypeView } from '../../../engine/credentials/types.js';
import { errorResponses } from '../../schemas/errors.js';

const credentialTypeSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    description: { type: 'string' },
    package: {
      type: 'object',
      properties: { name: { type: 'string' }, version: { type: 'string' } },
      required: ['name', 'version'],
    },
    channel: {
      type: ['string', 'null'],
      description: 'the channel a credential of this type sends (as GET /api/credentials says of each), else null',
    },
    events: {
      type: 'boolean',
      description: "whether a credential of this type verifies its provider's event webhook",
    },
    schema: {
      type: 'object',
      additionalProperties: true,
      description: "the JSON Schema a credential's data must fit (POST /api/credentials checks it)",
    },
    secrets: {
      type: 'array',
      items: { type: 'string' },
      description:
        'JSON pointers into data of the secret fields: marked writeOnly or format password, else by name (password, apiKey, secret, token)',
    },
  },
  required: ['type', 'title', 'package', 'channel', 'events', 'schema', 'secrets'],
} as const;

/**
 * The credential types the loaded packages define, for a client to draw a credential's form
 * (server/README.md "Credential types"). Types are the installation's, as the node catalogue.
 */
export async function credentialTypesRoutes(app: FastifyInstance) {
  const { registry } = app.runtime;

  app.get(
    '/api/credential-types',
    {
      schema: {
        tags: ['credentials'],
        summary: 'The credential types of the loaded packages, with the JSON Schema of their data',
        response: {
          200: {
            type: 'object',
            properties: { types: { type: 'array', items: credentialTypeSchema } },
            required: ['types'],
          },
          ...errorResponses(),
        },
      },
    },
    async (): Promise<{ types: CredentialTypeView[] }> => ({
      types: registry
        .credentials()
        .sort((a, b) => a.definition.type.localeCompare(b.definition.type))
        .map(({ definition: d, package: pkg }) => ({
          type: d.type,
          title: d.title,
          ...(d.description ? { description: d.description } : {}),
          package: pkg,
          channel: d.sender?.channel ?? null,
          events: Boolean(d.events),
          schema: d.schema,
          secrets: secretFields(d.schema),
        })),
    }),
  );
}
