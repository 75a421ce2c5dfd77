import { NOT_BLANK_PATTERN } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import type { Role } from '../../../engine/db/tables/teams.js';
import { errorResponses } from '../../schemas/errors.js';
import { uuid } from '../../schemas/ids.js';
import { ROLES } from '../../teams/access/permissions.js';
import { ForbiddenError, type Principal } from '../../teams/access/principal.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';
import { changeRole, listMembers, memberRole, removeMember } from '../../teams/members/members.js';
import { makeWorkspace, renameWorkspace } from '../../teams/members/workspaces.js';

const workspaceSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    role: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'name', 'role', 'createdAt'],
} as const;
const memberSchema = {
  type: 'object',
  properties: {
    userId: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string' },
    joinedAt: { type: 'string', format: 'date-time' },
  },
  required: ['userId', 'email', 'name', 'role', 'joinedAt'],
} as const;
const nameBody = {
  type: 'object',
  // A blank name cannot be told apart in the workspace switcher.
  properties: { name: { type: 'string', minLength: 1, maxLength: 200, pattern: NOT_BLANK_PATTERN } },
  required: ['name'],
  additionalProperties: false,
} as const;
// `uuid`: the path's workspace id is taken lower-cased (plugins/uuid-case.ts), so every reader of
// it (audit included) sees the id as stored. One that is no UUID was already answered 404 by auth.
const idParams = { type: 'object', properties: { id: uuid }, required: ['id'] } as const;
const memberParams = {
  type: 'object',
  properties: { id: uuid, userId: uuid },
  required: ['id', 'userId'],
} as const;
const tags = ['workspaces'];

/** teams.md "Workspaces": a user's workspaces and their members. */
export async function workspacesRoutes(app: FastifyInstance) {
  const { db } = app.runtime;
  const row = async (id: string, role: Role | null) => {
    const w = await db
      .selectFrom('workspaces')
      .select(['id', 'name', 'created_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return { id: w.id, name: w.name, role, createdAt: (w.created_at as unknown as Date).toISOString() };
  };

  app.get(
    '/api/workspaces',
    {
      schema: {
        tags,
        summary: "The user's workspaces, or a token's one",
        response: {
          200: {
            type: 'object',
            properties: { workspaces: { type: 'array', items: workspaceSchema } },
            required: ['workspaces'],
          },
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const p = request.principal as Principal;
      if (p.type === 'token') return { workspaces: [await row(p.workspaceId, request.standing.role)] };
      const ms = await db
        .selectFrom('memberships')
        .select(['workspace_id', 'role'])
        .where('user_id', '=', p.id)
        .orderBy('joined_at')
        .execute();
      return { workspaces: await Promise.all(ms.map((m) => row(m.workspace_id, m.role))) };
    },
  );

  app.post<{ Body: { name: string } }>(
    '/api/workspaces',
    {
      schema: {
        tags,
        summary: 'Make a workspace; its maker is its owner',
        body: nameBody,
        response: { 201: workspaceSchema, ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const p = request.principal as Principal;
      const id = await makeWorkspace(db, request.body.name, p.id, (trx, made) => {
        // The new workspace's own log holds its creation.
        request.standing = { ...request.standing, workspace: { id: made, name: request.body.name } };
        return auditWithin(request, trx, { object: made });
      });
      return reply.code(201).send(await row(id, 'owner'));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/workspaces/:id',
    {
      schema: {
        tags,
        summary: 'One workspace',
        params: idParams,
        response: { 200: workspaceSchema, ...errorResponses(404) },
      },
    },
    async (request) => row(workspaceOf(request), request.standing.role),
  );

  app.patch<{ Params: { id: string }; Body: { name: string } }>(
    '/api/workspaces/:id',
    {
      schema: {
        tags,
        summary: 'Rename a workspace',
        params: idParams,
        body: nameBody,
        response: { 200: workspaceSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const id = workspaceOf(request);
      await renameWorkspace(db, id, request.body.name, (trx) => auditWithin(request, trx));
      // Tokens are believed with their workspace's name: this process shows the new one at once.
      app.forgetTrustedTokens();
      return row(id, request.standing.role);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/workspaces/:id/members',
    {
      schema: {
        tags,
        summary: "The workspace's members",
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: { members: { type: 'array', items: memberSchema } },
            required: ['members'],
          },
          ...errorResponses(404),
        },
      },
    },
    async (request) => ({ members: await listMembers(db, workspaceOf(request)) }),
  );

  app.patch<{ Params: { id: string; userId: string }; Body: { role: Role } }>(
    '/api/workspaces/:id/members/:userId',
    {
      schema: {
        tags,
        summary: "Change a member's role (granting or taking away owner needs owner)",
        params: memberParams,
        body: {
          type: 'object',
          properties: { role: { type: 'string', enum: [...ROLES] } },
          required: ['role'],
          additionalProperties: false,
        },
        response: { 200: memberSchema, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => {
      const { userId } = request.params;
      const id = workspaceOf(request);
      const { role } = request.body;
      const owner = request.standing.permissions.has('owner');
      if (role === 'owner' && !owner) throw new ForbiddenError('owner');
      await changeRole(db, id, userId, role, owner, (trx, before) =>
        auditWithin(request, trx, { details: { from: before, to: role } }),
      );
      return memberRole(db, id, userId);
    },
  );

  app.delete<{ Params: { id: string; userId: string } }>(
    '/api/workspaces/:id/members/:userId',
    {
      schema: {
        tags,
        summary: 'Remove a member (any member may remove themselves); their sessions lose the workspace at once',
        params: memberParams,
        response: { 204: { type: 'null' }, ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      const { userId } = request.params;
      const id = workspaceOf(request);
      const p = request.principal as Principal;
      const self = p.type === 'user' && p.id === userId;
      await removeMember(db, id, userId, self || request.standing.permissions.has('owner'), (trx, before) =>
        auditWithin(request, trx, { details: { role: before } }),
      );
      return reply.code(204).send();
    },
  );
}
