import { NotFoundError } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { dkimDomain, dkimRecord, loadDkimKeys } from '../../../engine/sending/dkim.js';
import { errorResponses } from '../../schemas/errors.js';
import { workspaceOf } from '../../teams/access/workspace.js';

const domainSchema = {
  type: 'object',
  properties: {
    domain: { type: 'string' },
    selector: { type: 'string' },
    credentialId: { type: 'string', format: 'uuid' },
  },
  required: ['domain', 'selector', 'credentialId'],
} as const;

/** DKIM: which sending domains have a key in the request's workspace, and the DNS record of each. */
export async function dkimRoutes(app: FastifyInstance) {
  const { db, keys } = app.runtime;

  app.get(
    '/api/settings/dkim',
    {
      schema: {
        tags: ['settings'],
        response: {
          200: {
            type: 'object',
            properties: { domains: { type: 'array', items: domainSchema } },
            required: ['domains'],
          },
          ...errorResponses(),
        },
      },
    },
    async (request) => ({
      domains: (await loadDkimKeys(db, workspaceOf(request), keys.credentials)).map(
        ({ domain, selector, credentialId }) => ({
          domain,
          selector,
          credentialId,
        }),
      ),
    }),
  );

  app.get<{ Params: { domain: string } }>(
    '/api/settings/dkim/:domain',
    {
      schema: {
        tags: ['settings'],
        params: { type: 'object', properties: { domain: { type: 'string' } }, required: ['domain'] },
        response: {
          200: {
            type: 'object',
            properties: {
              ...domainSchema.properties,
              record: {
                type: 'object',
                properties: { name: { type: 'string' }, type: { type: 'string' }, value: { type: 'string' } },
                required: ['name', 'type', 'value'],
              },
            },
            required: [...domainSchema.required, 'record'],
          },
          ...errorResponses(400, 404),
        },
      },
    },
    async (request) => {
      const wanted = dkimDomain(request.params.domain, '/domain');
      const key = (await loadDkimKeys(db, workspaceOf(request), keys.credentials)).find((k) => k.domain === wanted);
      if (!key) throw new NotFoundError(`no DKIM key for ${wanted}`);
      return { domain: key.domain, selector: key.selector, credentialId: key.credentialId, record: dkimRecord(key) };
    },
  );
}
