import { ConflictError, NotFoundError } from '@waymark/sdk';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../../../engine/db/audit.js';
import type { Role } from '../../../engine/db/tables/teams.js';
import { errorResponses } from '../../schemas/errors.js';
import { uuid } from '../../schemas/ids.js';
import { ROLES } from '../../teams/access/permissions.js';
import { type Principal, UnauthorizedError } from '../../teams/access/principal.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { attemptFailed, attemptSucceeded, beginAttempt } from '../../teams/accounts/lockout.js';
import {
  answerWithSession,
  credentialsProperties,
  emailCheck,
  sessionAnswerSchema,
  validEmail,
} from '../../teams/accounts/session-answer.js';
import { checkPassword, findUserByEmail, hashPassword } from '../../teams/accounts/users.js';
import type { Invitation } from '../../teams/answer-types.js';
import { auditWithin } from '../../teams/audit/audit.js';
import { linkMail, sendPersonMail } from '../../teams/mail.js';
import {
  endInvitation,
  existingUserTold,
  invite,
  markLinkShown,
  openInvitation,
  pendingInvitations,
  revokeInvitation,
} from '../../teams/members/invitations.js';

const invitationSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    role: { type: 'string' },
    workspaceId: { type: 'string' },
    invitedBy: {
      type: 'object',
      properties: { type: { type: 'string' }, id: { type: ['string', 'null'] }, name: { type: 'string' } },
    },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    link: { type: 'string' },
  },
  required: ['id', 'email', 'role', 'workspaceId', 'invitedBy', 'createdAt', 'expiresAt'],
} as const;
const tags = ['workspaces'];
// `uuid`: the path's workspace id is taken lower-cased (plugins/uuid-case.ts); auth has answered
// 404 for one that is no UUID. Handlers act on the request's resolved workspace (workspaceOf).
const wsParams = { type: 'object', properties: { id: uuid }, required: ['id'] } as const;
const tokenParams = { type: 'object', properties: { token: { type: 'string' } }, required: ['token'] } as const;

const actorOf = (p: Principal): Actor =>
  p.type === 'user' ? { type: 'user', id: p.id, name: p.name || p.email } : { type: 'token', id: p.id, name: p.name };

/** teams.md: invitations by email link, and accepting them. */
export async function invitationsRoutes(app: FastifyInstance) {
  const { db, config } = app.runtime;
  const secure = config.publicUrl.startsWith('https:');

  app.post<{ Params: { id: string }; Body: { email: string; role: Role } }>(
    '/api/workspaces/:id/invitations',
    {
      config: { bodyCheck: emailCheck },
      schema: {
        tags,
        summary:
          'Invite someone by email (valid 7 days, once); inviting as owner, or replacing an invitation as owner, needs owner',
        params: wsParams,
        body: {
          type: 'object',
          properties: { email: credentialsProperties.email, role: { type: 'string', enum: [...ROLES] } },
          required: ['email', 'role'],
          additionalProperties: false,
        },
        response: { 201: invitationSchema, ...errorResponses(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const email = validEmail(request.body.email);
      const workspace = request.standing.workspace as { id: string; name: string };
      const { invitation, token } = await invite(
        db,
        workspace.id,
        email,
        request.body.role,
        actorOf(request.principal as Principal),
        request.standing.permissions.has('owner'),
        (trx, id) => auditWithin(request, trx, { object: id, details: { role: request.body.role } }),
      );
      const link = `${config.publicUrl}/invite/${token}`;
      const mail = linkMail(
        email,
        `You are invited to ${workspace.name} on Waymark`,
        `Join the workspace ${workspace.name} on Waymark as ${request.body.role}:`,
        link,
      );
      const sent = await sendPersonMail(app.runtime, mail).catch((err) => {
        request.log.error({ err }, 'could not send an invitation mail');
        return false;
      });
      if (sent) return reply.code(201).send(invitation);
      await markLinkShown(db, invitation.id);
      return reply.code(201).send({ ...invitation, link } satisfies Invitation);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/workspaces/:id/invitations',
    {
      schema: {
        tags,
        summary: 'Pending invitations',
        params: wsParams,
        response: {
          200: {
            type: 'object',
            properties: { invitations: { type: 'array', items: invitationSchema } },
            required: ['invitations'],
          },
          ...errorResponses(404),
        },
      },
    },
    async (request) => ({ invitations: await pendingInvitations(db, workspaceOf(request)) }),
  );

  app.delete<{ Params: { id: string; invitationId: string } }>(
    '/api/workspaces/:id/invitations/:invitationId',
    {
      schema: {
        tags,
        summary: 'Revoke an invitation: its link stops working (one as owner needs owner)',
        params: {
          type: 'object',
          properties: { id: uuid, invitationId: uuid },
          required: ['id', 'invitationId'],
        },
        response: { 204: { type: 'null' }, ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      await revokeInvitation(
        db,
        workspaceOf(request),
        request.params.invitationId,
        request.standing.permissions.has('owner'),
        (trx) => auditWithin(request, trx),
      );
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { token: string } }>(
    '/api/invitations/:token',
    {
      schema: {
        tags,
        security: [],
        summary: 'What an invitation link offers',
        params: tokenParams,
        response: {
          200: {
            type: 'object',
            properties: {
              email: { type: 'string' },
              role: { type: 'string' },
              workspace: {
                type: 'object',
                properties: { id: { type: 'string' }, name: { type: 'string' } },
                required: ['id', 'name'],
              },
              expiresAt: { type: 'string', format: 'date-time' },
              existingUser: { type: 'boolean' },
            },
            required: ['email', 'role', 'workspace', 'expiresAt', 'existingUser'],
          },
          ...errorResponses(403, 404),
        },
      },
    },
    async (request) => {
      const i = await openInvitation(db, request.params.token);
      return {
        email: i.email,
        role: i.role,
        workspace: { id: i.workspaceId, name: i.workspaceName },
        expiresAt: i.expiresAt,
        existingUser: await existingUserTold(db, i),
      };
    },
  );

  /** An existing user accepting gives their password: a failed sign-in, counted and locked like one. */
  async function proveItIsThem(
    request: FastifyRequest,
    user: { email: string; password_hash: string },
    password: string,
  ) {
    // Checked and, wrong, counted against the address in one step, as at sign-in (checkSecret).
    const proved = await app.checkSecret(request, async () => {
      const attempt = await beginAttempt(db, user.email);
      if (!(await checkPassword(user.password_hash, password))) {
        await attemptFailed(db, attempt);
        return null;
      }
      await attemptSucceeded(db, attempt);
      return true;
    });
    if (!proved) throw new UnauthorizedError('the password is wrong');
  }

  app.post<{ Params: { token: string }; Body: { password: string; name?: string } }>(
    '/api/invitations/:token/accept',
    {
      schema: {
        tags,
        security: [],
        summary: 'Accept an invitation: a new user sets a password, an existing one gives theirs',
        params: tokenParams,
        body: {
          type: 'object',
          properties: { password: credentialsProperties.password, name: { type: 'string', maxLength: 200 } },
          required: ['password'],
          additionalProperties: false,
        },
        response: { 200: sessionAnswerSchema, ...errorResponses(400, 403, 404, 409, 429) },
      },
    },
    async (request, reply) => {
      // Past the address's failures a new user's accept, which checks no password, is refused too.
      await app.refuseFailedAuth(request);
      const i = await openInvitation(db, request.params.token);
      if (i.user) await proveItIsThem(request, i.user, request.body.password);
      const hash = i.user ? null : await hashPassword(request.body.password);
      const user = await db.transaction().execute(async (trx) => {
        if (!(await endInvitation(trx, i.id))) throw new NotFoundError('no such invitation (already used)');
        let u =
          i.user ??
          (await trx
            .insertInto('users')
            .values({ email: i.email, name: request.body.name?.trim() ?? '', password_hash: hash as string })
            .onConflict((oc) => oc.column('email').doNothing())
            .returning(['id', 'email', 'name', 'password_hash'])
            .executeTakeFirst());
        if (!u) {
          // Made meanwhile by the accept of another workspace's invitation (two links opened at
          // once): this link is still good, so it joins that user, who proves it is them.
          u = await findUserByEmail(trx, i.email);
          if (!u) throw new NotFoundError('no such invitation (already used)');
          await proveItIsThem(request, u, request.body.password);
        }
        // One who joined meanwhile (the setup link) keeps their role: an old invitation must not
        // demote them, the last owner included. 409 as inviting a member is; the link stays.
        const joined = await trx
          .insertInto('memberships')
          .values({ workspace_id: i.workspaceId, user_id: u.id, role: i.role })
          .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doNothing())
          .returning('user_id')
          .executeTakeFirst();
        if (!joined) throw new ConflictError(`${u.email} is already a member of this workspace`);
        request.auditActor = {
          actor: { type: 'user', id: u.id, name: u.name, email: u.email },
          workspaceId: i.workspaceId,
        };
        await auditWithin(request, trx, { object: u.id });
        return u;
      });
      return answerWithSession(db, reply, secure, user);
    },
  );
}
