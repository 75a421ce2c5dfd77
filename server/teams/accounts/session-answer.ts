import { type ErrorDetail, ValidationError } from '@waymark/sdk';
import type { FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../../engine/db/database.js';
import type { BodyCheck } from '../../plugins/body-checks.js';
import { CSRF_COOKIE, SESSION_COOKIE, startSession } from './sessions.js';
import { userWorkspaces } from './users.js';

export const userSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' } },
  required: ['id', 'email', 'name'],
} as const;

export const workspaceRoleSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' }, role: { type: ['string', 'null'] } },
  required: ['id', 'name', 'role'],
} as const;

/** `{ user, workspaces, csrfToken }` (teams.md "session answer"). */
export const sessionAnswerSchema = {
  type: 'object',
  properties: {
    user: userSchema,
    workspaces: { type: 'array', items: workspaceRoleSchema },
    csrfToken: { type: 'string' },
  },
  required: ['user', 'workspaces', 'csrfToken'],
} as const;

/** Email and password as the contract bounds them (a bad one answers 400 naming the field). */
export const credentialsProperties = {
  email: { type: 'string', minLength: 1, maxLength: 320 },
  password: { type: 'string', minLength: 10, maxLength: 200 },
} as const;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const notAnEmail = (path: string): ErrorDetail => ({ path, message: `body${path} is not an email address` });

/** Trims and lower-cases an email; a malformed one answers 400 naming the field. */
export function validEmail(email: string, path = '/email'): string {
  const normal = email.trim().toLowerCase();
  if (!EMAIL.test(normal)) throw new ValidationError('the email is invalid', [notAnEmail(path)]);
  return normal;
}

/**
 * The body's `email` checked with the schema (`config.bodyCheck`), so that one 400 names a
 * malformed email beside a short password, instead of the password first and the email on
 * the next try.
 */
export const emailCheck: BodyCheck = (request) => {
  const email = (request.body as { email?: unknown } | null | undefined)?.email;
  return typeof email === 'string' && !EMAIL.test(email.trim().toLowerCase()) ? [notAnEmail('/email')] : [];
};

/**
 * Starts a new session for the user (never reusing one sent along), sets both cookies and
 * answers the session answer.
 */
export async function answerWithSession(
  db: Kysely<Database>,
  reply: FastifyReply,
  secure: boolean,
  user: { id: string; email: string; name: string },
  status = 200,
) {
  const session = await startSession(db, user.id);
  const common = { sameSite: 'lax' as const, path: '/', secure };
  reply.setCookie(SESSION_COOKIE, session.secret, { ...common, httpOnly: true });
  reply.setCookie(CSRF_COOKIE, session.csrfToken, { ...common, httpOnly: false });
  const workspaces = await userWorkspaces(db, user.id);
  return reply.code(status).send({
    user: { id: user.id, email: user.email, name: user.name },
    workspaces,
    csrfToken: session.csrfToken,
  });
}

export function clearSessionCookies(reply: FastifyReply, secure: boolean) {
  const common = { sameSite: 'lax' as const, path: '/', secure };
  reply.clearCookie(SESSION_COOKIE, { ...common, httpOnly: true });
  reply.clearCookie(CSRF_COOKIE, common);
}
