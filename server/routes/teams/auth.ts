import { NotFoundError } from '@waymark/sdk';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { errorResponses } from '../../schemas/errors.js';
import { type Principal, UnauthorizedError } from '../../teams/access/principal.js';
import { attemptFailed, attemptSucceeded, beginAttempt, liftLock } from '../../teams/accounts/lockout.js';
import { issueResetLink, RESET_MAILS_PER_HOUR } from '../../teams/accounts/reset-links.js';
import {
  answerWithSession,
  clearSessionCookies,
  credentialsProperties,
  emailCheck,
  sessionAnswerSchema,
  validEmail,
} from '../../teams/accounts/session-answer.js';
import { endSession, endUserSessions } from '../../teams/accounts/sessions.js';
import { checkPassword, findUserByEmail, hashPassword, sha256 } from '../../teams/accounts/users.js';
import { auditWithin } from '../../teams/audit/audit.js';
import { linkMail, sendPersonMail } from '../../teams/mail.js';
import { meRoutes } from './auth-me.js';
import { setupRoutes } from './auth-setup.js';

const body = (properties: object, required: string[]) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const wrongPassword = () => new UnauthorizedError('the email or password is wrong');

/** teams.md: sign-in, sign-out, password change and reset by mail. */
export async function authRoutes(app: FastifyInstance) {
  const { db, config } = app.runtime;
  const secure = config.publicUrl.startsWith('https:');

  app.post<{ Body: { email: string; password: string } }>(
    '/api/auth/sign-in',
    {
      config: { bodyCheck: emailCheck },
      schema: {
        tags: ['auth'],
        security: [],
        summary: 'Sign in: always a new session and CSRF token',
        body: body(credentialsProperties, ['email', 'password']),
        response: { 200: sessionAnswerSchema, ...errorResponses(400, 403, 429) },
      },
    },
    async (request, reply) => {
      const email = validEmail(request.body.email);
      // Checked and, wrong, counted against the address in one step, also when the client has
      // hung up meanwhile: guesses sent at once, or dropped while checked, are held to the 20.
      const user = await app.checkSecret(request, async () => {
        // Counted before the password is checked, so guesses sent at once are held to the ten.
        const attempt = await beginAttempt(db, email);
        const found = await findUserByEmail(db, email);
        // Checked for an unknown email too (against a hash of nothing), so it takes as long.
        const ok = await checkPassword(found?.password_hash ?? null, request.body.password);
        if (!ok || !found) {
          await attemptFailed(db, attempt);
          return null;
        }
        await attemptSucceeded(db, attempt);
        return found;
      });
      if (!user) throw wrongPassword();
      return answerWithSession(db, reply, secure, user);
    },
  );

  app.post(
    '/api/auth/sign-out',
    {
      schema: { tags: ['auth'], summary: 'End this session', response: { 204: { type: 'null' }, ...errorResponses() } },
    },
    async (request, reply) => {
      const p = request.principal as Principal;
      if (p.type === 'user' && p.sessionId) await endSession(db, p.sessionId);
      clearSessionCookies(reply, secure);
      return reply.code(204).send();
    },
  );

  app.post<{ Body: { currentPassword: string; newPassword: string } }>(
    '/api/auth/password',
    {
      schema: {
        tags: ['auth'],
        summary: "Change one's password; ends the user's other sessions",
        body: body(
          { currentPassword: { type: 'string', maxLength: 200 }, newPassword: credentialsProperties.password },
          ['currentPassword', 'newPassword'],
        ),
        response: { 204: { type: 'null' }, ...errorResponses(400, 403) },
      },
    },
    async (request, reply) => {
      const p = request.principal as Principal & { type: 'user' };
      // Checked and, wrong, counted in one step: a stolen session cannot guess it faster than a sign-in.
      const user = await app.checkSecret(request, async () => {
        const found = await findUserByEmail(db, p.email);
        return found && (await checkPassword(found.password_hash, request.body.currentPassword)) ? found : null;
      });
      if (!user) throw new UnauthorizedError('the current password is wrong');
      const hash = await hashPassword(request.body.newPassword);
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ password_hash: hash }).where('id', '=', user.id).execute();
        await endUserSessions(trx, user.id, p.sessionId || null);
        await auditWithin(request, trx, { object: user.id });
      });
      return reply.code(204).send();
    },
  );

  /**
   * Stores a new reset link for the user and mails it, unless the account had its
   * RESET_MAILS_PER_HOUR: then nothing is sent, and the links already mailed keep working.
   */
  async function mailResetLink(user: { id: string; email: string }, log: FastifyBaseLogger) {
    const token = await issueResetLink(db, user.id);
    if (!token) {
      // For whoever watches the logs: someone is asking for this account's mails in a loop.
      log.warn({ userId: user.id }, `password-reset mail not sent: ${RESET_MAILS_PER_HOUR} already this hour`);
      return;
    }
    const link = `${config.publicUrl}/reset-password/${token}`;
    const mail = linkMail(
      user.email,
      'Reset your Waymark password',
      'Choose a new password (this link works once, for an hour):',
      link,
    );
    await sendPersonMail(app.runtime, mail);
  }

  app.post<{ Body: { email: string } }>(
    '/api/auth/password-reset',
    {
      config: { bodyCheck: emailCheck },
      schema: {
        tags: ['auth'],
        security: [],
        summary: `Mail a password-reset link (valid 1 h, once) to a known user, at most ${RESET_MAILS_PER_HOUR} an hour; the answer is the same for any email`,
        body: body({ email: credentialsProperties.email }, ['email']),
        response: { 202: { type: 'object', additionalProperties: false }, ...errorResponses(400, 403) },
      },
    },
    async (request, reply) => {
      const user = await findUserByEmail(db, validEmail(request.body.email));
      // The link is stored and mailed after the answer: waiting for either (the mail server
      // took a hundred milliseconds, a write its commit) made a known email's answer slower
      // than an unknown one's, telling which addresses have accounts.
      if (user)
        void mailResetLink(user, request.log).catch((err) =>
          request.log.error({ err }, 'could not store or send a reset link'),
        );
      return reply.code(202).send({});
    },
  );

  app.post<{ Body: { token: string; password: string } }>(
    '/api/auth/password-reset/confirm',
    {
      schema: {
        tags: ['auth'],
        security: [],
        summary: 'Set a new password with a reset link; ends every session of the user and lifts a sign-in lock',
        body: body({ token: { type: 'string', maxLength: 200 }, password: credentialsProperties.password }, [
          'token',
          'password',
        ]),
        response: { 204: { type: 'null' }, ...errorResponses(400, 403, 404) },
      },
    },
    async (request, reply) => {
      const tokenHash = sha256(request.body.token);
      const unknownLink = () => new NotFoundError('no such password-reset link (unknown, used or expired)');
      // A guessed link is refused before the password is hashed (argon2id: 19 MiB, the dearest
      // work a request can ask for); the update below still uses the link once.
      const usable = await db
        .selectFrom('password_resets')
        .select('user_id')
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', new Date())
        .executeTakeFirst();
      if (!usable) throw unknownLink();
      const hash = await hashPassword(request.body.password);
      await db.transaction().execute(async (trx) => {
        const used = await trx
          .updateTable('password_resets')
          .set({ used_at: new Date() })
          .where('token_hash', '=', tokenHash)
          .where('used_at', 'is', null)
          .where('expires_at', '>', new Date())
          .returning('user_id')
          .executeTakeFirst();
        if (!used) throw unknownLink();
        const user = await trx
          .updateTable('users')
          .set({ password_hash: hash })
          .where('id', '=', used.user_id)
          .returning(['id', 'email', 'name'])
          .executeTakeFirstOrThrow();
        await endUserSessions(trx, user.id);
        await liftLock(trx, user.email);
        const first = await trx
          .selectFrom('memberships')
          .select('workspace_id')
          .where('user_id', '=', user.id)
          .orderBy('joined_at')
          .executeTakeFirst();
        request.auditActor = {
          actor: { type: 'user', id: user.id, name: user.name, email: user.email },
          workspaceId: first?.workspace_id ?? null,
        };
        await auditWithin(request, trx, { object: user.id });
      });
      return reply.code(204).send();
    },
  );

  await app.register(meRoutes);
  await app.register(setupRoutes);
}
