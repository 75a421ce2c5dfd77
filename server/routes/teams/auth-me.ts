import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../../schemas/errors.js';
import type { Principal } from '../../teams/access/principal.js';
import { workspaceRoleSchema } from '../../teams/accounts/session-answer.js';
import { userWorkspaces } from '../../teams/accounts/users.js';
import type { Me } from '../../teams/answer-types.js';

const meSchema = {
  type: 'object',
  properties: {
    principal: {
      type: 'object',
      properties: {
        type: { type: 'string', enum: ['user', 'token'] },
        id: { type: 'string' },
        email: { type: 'string' },
        name: { type: 'string' },
        scopes: { type: 'array', items: { type: 'string' } },
      },
      required: ['type', 'id', 'name'],
    },
    workspace: {
      type: ['object', 'null'],
      properties: { id: { type: 'string' }, name: { type: 'string' } },
      required: ['id', 'name'],
    },
    role: { type: ['string', 'null'] },
    permissions: { type: 'array', items: { type: 'string' } },
    workspaces: { type: 'array', items: workspaceRoleSchema },
    csrfToken: { type: ['string', 'null'] },
  },
  required: ['principal', 'workspace', 'role', 'permissions', 'workspaces', 'csrfToken'],
} as const;

/** `GET /api/auth/me`: who the request is, its workspace, role and permissions there. */
export async function meRoutes(app: FastifyInstance) {
  const { db } = app.runtime;
  app.get(
    '/api/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: "The request's principal, workspace, role and effective permissions",
        response: { 200: meSchema, ...errorResponses(404) },
      },
    },
    async (request): Promise<Me> => {
      const p = request.principal as Principal;
      const { workspace, role, permissions } = request.standing;
      if (p.type === 'token')
        return {
          principal: { type: 'token', id: p.id, name: p.name, scopes: p.scopes },
          workspace,
          role,
          permissions: [...permissions],
          workspaces: workspace ? [{ ...workspace, role }] : [],
          csrfToken: null,
        };
      return {
        principal: { type: 'user', id: p.id, email: p.email, name: p.name },
        workspace,
        role,
        permissions: [...permissions],
        workspaces: await userWorkspaces(db, p.id),
        csrfToken: p.csrfToken,
      };
    },
  );
}
