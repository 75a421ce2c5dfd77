import { NOT_BLANK_PATTERN, NotFoundError, ValidationError } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { createToken, issueLiveTicket, listTokens, revokeToken } from '../../auth/tokens.js';
import { errorResponses } from '../../schemas/errors.js';
import { idParams } from '../../schemas/ids.js';
import { SCOPE_PERMISSIONS } from '../../teams/access/permissions.js';
import type { Principal } from '../../teams/access/principal.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import type { MadeToken } from '../../teams/answer-types.js';
import { auditWithin } from '../../teams/audit/audit.js';

const SCOPES = Object.keys(SCOPE_PERMISSIONS);

const actorOf = (p: Principal) => ({ type: p.type, id: p.id });

const tokenSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    workspaceId: { type: 'string', format: 'uuid' },
    createdBy: {
      type: ['object', 'null'],
      properties: { type: { type: 'string', enum: ['user', 'token'] }, id: { type: 'string' } },
    },
    createdAt: { type: 'string', format: 'date-time' },
    lastUsedAt: { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['id', 'name', 'scopes', 'workspaceId', 'createdBy', 'createdAt', 'lastUsedAt'],
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
    async (request) => ({ tokens: await listTokens(db, request.standing.workspace?.id as string) }),
  );

  app.post<{ Body: { name: string; scopes?: string[]; workspaceId?: string } }>(
    '/api/tokens',
    {
      // The token's workspace is where `admin` is needed, and where the audit entry goes.
      config: { workspaceField: 'workspaceId' },
      schema: {
        tags: ['auth'],
        summary: 'Make a token; its secret is in this answer only',
        body: {
          type: 'object',
          properties: {
            // A blank name cannot be told apart in the token list, where revoking picks one by it.
            name: { type: 'string', minLength: 1, maxLength: 200, pattern: NOT_BLANK_PATTERN },
            scopes: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 20 },
            workspaceId: { type: 'string', maxLength: 64 },
          },
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
              scopes: { type: 'array', items: { type: 'string' } },
              workspaceId: { type: 'string', format: 'uuid' },
              createdAt: { type: 'string', format: 'date-time' },
            },
            required: ['id', 'name', 'token', 'scopes', 'workspaceId', 'createdAt'],
          },
          ...errorResponses(400, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const principal = request.principal as Principal;
      const scopes = [...new Set(request.body.scopes ?? ['admin'])];
      const bad = scopes.filter((s) => !SCOPES.includes(s));
      if (bad.length)
        throw new ValidationError(
          `unknown or reserved scopes: ${bad.join(', ')}`,
          bad.map((s) => ({
            path: `/scopes/${scopes.indexOf(s)}`,
            message: `no scope ${s}; use ${SCOPES.join(', ')}`,
          })),
        );
      const workspaceId = workspaceOf(request);
      const { id, token, createdAt } = await createToken(
        db,
        { name: request.body.name, scopes, workspaceId, createdBy: actorOf(principal) },
        (trx, made) => auditWithin(request, trx, { object: made }),
      );
      return reply
        .code(201)
        .send({ id, name: request.body.name, token, scopes, workspaceId, createdAt } satisfies MadeToken);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/tokens/:id',
    {
      schema: {
        tags: ['auth'],
        summary: 'Revoke a token: every process refuses it within a second',
        params: idParams,
        response: { 204: { type: 'null', description: 'revoked' }, ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const workspaceId = request.standing.workspace?.id as string;
      const owner = request.standing.permissions.has('owner');
      if (!(await revokeToken(db, request.params.id, workspaceId, owner, (trx) => auditWithin(request, trx))))
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
    async (request, reply) => {
      const p = request.principal as Principal;
      const holder =
        p.type === 'token'
          ? { tokenId: p.id }
          : { userId: p.id, workspaceId: request.standing.workspace?.id as string, sessionId: p.sessionId };
      return reply.code(201).send(await issueLiveTicket(db, holder));
    },
  );
}
