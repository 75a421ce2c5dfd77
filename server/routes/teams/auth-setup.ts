import { ConflictError, NotFoundError } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { errorResponses } from '../../schemas/errors.js';
import {
  answerWithSession,
  credentialsProperties,
  emailCheck,
  sessionAnswerSchema,
  validEmail,
} from '../../teams/accounts/session-answer.js';
import { redeemSetupCode, setupCodeValid } from '../../teams/accounts/setup.js';
import { defaultWorkspaceId, hashPassword, hasOwner } from '../../teams/accounts/users.js';
import { auditWithin } from '../../teams/audit/audit.js';

const unknownCode = () => new NotFoundError('no such setup code (unknown, used or expired, or there is an owner)');

/** `POST /api/auth/setup`: the printed one-time code makes the default workspace's first owner. */
export async function setupRoutes(app: FastifyInstance) {
  const { db, config } = app.runtime;
  const secure = config.publicUrl.startsWith('https:');

  app.post<{ Body: { code: string; email: string; password: string; name?: string } }>(
    '/api/auth/setup',
    {
      config: { bodyCheck: emailCheck },
      schema: {
        tags: ['auth'],
        security: [],
        summary: 'Create the first owner of the default workspace with the code printed at start',
        body: {
          type: 'object',
          properties: {
            code: { type: 'string', maxLength: 200 },
            ...credentialsProperties,
            name: { type: 'string', maxLength: 200 },
          },
          required: ['code', 'email', 'password'],
          additionalProperties: false,
        },
        response: { 201: sessionAnswerSchema, ...errorResponses(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const email = validEmail(request.body.email);
      // A guessed code is refused before the password is hashed (argon2id: 19 MiB, the
      // dearest work a request can ask for); the transaction below still redeems it once.
      if (!(await setupCodeValid(db, request.body.code))) throw unknownCode();
      const hash = await hashPassword(request.body.password);
      const name = request.body.name?.trim() ?? '';
      const user = await db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext('waymark.setup'))`.execute(trx);
        const workspaceId = await defaultWorkspaceId(trx);
        if (await hasOwner(trx, workspaceId)) throw unknownCode();
        if (!(await redeemSetupCode(trx, request.body.code))) throw unknownCode();
        const existing = await trx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
        if (existing) throw new ConflictError(`a user with the email ${email} exists; sign in instead`);
        const made = await trx
          .insertInto('users')
          .values({ email, name, password_hash: hash })
          .returning(['id', 'email', 'name'])
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('memberships')
          .values({ workspace_id: workspaceId, user_id: made.id, role: 'owner' })
          .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doUpdateSet({ role: 'owner' }))
          .execute();
        await trx.deleteFrom('setup_codes').execute();
        request.auditActor = {
          actor: { type: 'user', id: made.id, name: made.name, email: made.email },
          workspaceId,
        };
        await auditWithin(request, trx, { object: made.id });
        return { ...made, workspaceId };
      });
      return answerWithSession(db, reply, secure, user, 201);
    },
  );
}
