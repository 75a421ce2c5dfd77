import { NotFoundError } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { isUuid } from '../../engine/contacts/load.js';
import { createToken, issueLiveTicket, listTokens, revokeToken } from '../auth/tokens.js';
import { errorResponses } from '../schemas/errors.js';

const tokenSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    lastUsedAt: { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['id', 'name', 'createdAt', 'lastUsedAt'],
} as const;

/** API.md "Auth": tokens are listed, made (the secret shown once) and revoked; browsers take live-feed tickets. */
export async function tokensRoutes(app: FastifyInstance) {
  const { db } = app.runtime;

  app.get(
    '/api/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: 'The API tokens (never their secrets)',
        response: {
          200: {
            type: 'object',
            properties: { tokens: { type: 'array', items: tokenSchema } },
            required: ['tokens'],
          },
          ...errorResponses(),
        },
      },
    },
    async () => ({ tokens: await listTokens(db) }),
  );

  app.post<{ Body: { name: string } }>(
    '/api/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: 'Make a token; its secret is in this answer only',
        body: {
          type: 'object',
          properties: { name: { type: 'string', minLength: 1, maxLength: 200 } },
          required: ['name'],
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string', format: 'uuid' },
              name: { type: 'string' },
              token: { type: 'string', description: 'the secret: shown once, stored only as a hash' },
            },
            required: ['id', 'name', 'token'],
          },
          ...errorResponses(400),
        },
      },
    },
    async (request, reply) => {
      const { id, token } = await createToken(db, request.body.name);
      return reply.code(201).send({ id, name: request.body.name, token });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/tokens/:id',
    {
      schema: {
        tags: ['auth'],
        summary: 'Revoke a token: every process refuses it within a second',
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        response: { 204: { type: 'null', description: 'revoked' }, ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      if (!isUuid(request.params.id) || !(await revokeToken(db, request.params.id)))
        throw new NotFoundError(`no token ${request.params.id}`);
      app.forgetTrustedTokens();
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/live/ticket',
    {
      schema: {
        tags: ['live'],
        summary: 'A single-use ticket, valid 60 s, for opening the live feed from a browser',
        response: {
          201: {
            type: 'object',
            properties: { ticket: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } },
            required: ['ticket', 'expiresAt'],
          },
          ...errorResponses(),
        },
      },
    },
    async (request, reply) => reply.code(201).send(await issueLiveTicket(db, request.tokenId as string)),
  );
}
