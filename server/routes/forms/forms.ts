import { NotFoundError } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { type FormDefinition, type FormField, withDefaults } from '../../../engine/forms/definition.js';
import { deleteForm, getForm, listForms, putForm } from '../../../engine/forms/store.js';
import { errorResponses } from '../../schemas/errors.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';
import { formBody, formListSchema, formSchema } from './schemas.js';

const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
type IdParams = { Params: { id: string } };
type FormBody = Partial<FormDefinition> & { name: string; fields: FormField[] };

/** Signup forms (contracts/content.md "Forms"); their public pages are in pages.ts. */
export async function formsRoutes(app: FastifyInstance) {
  const { db, config } = app.runtime;

  app.put<IdParams & { Body: FormBody }>(
    '/api/forms/:id',
    {
      schema: {
        tags: ['forms'],
        params: idParams,
        body: formBody,
        response: { 200: formSchema, 201: formSchema, ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const saved = await putForm(
        db,
        workspaceOf(request),
        request.params.id,
        withDefaults(request.body),
        config.publicUrl,
        (trx, created) => auditWithin(request, trx, { status: created ? 201 : 200 }),
      );
      return reply.code(saved.created ? 201 : 200).send(saved.form);
    },
  );

  app.get(
    '/api/forms',
    { schema: { tags: ['forms'], response: { 200: formListSchema, ...errorResponses() } } },
    async (request) => ({ forms: await listForms(db, workspaceOf(request)) }),
  );

  app.get<IdParams>(
    '/api/forms/:id',
    { schema: { tags: ['forms'], params: idParams, response: { 200: formSchema, ...errorResponses(404) } } },
    async (request) => {
      const form = await getForm(db, workspaceOf(request), request.params.id, config.publicUrl);
      if (!form) throw new NotFoundError(`no form ${request.params.id}`);
      return form;
    },
  );

  app.delete<IdParams>(
    '/api/forms/:id',
    { schema: { tags: ['forms'], params: idParams, response: { 204: { type: 'null' }, ...errorResponses(404) } } },
    async (request, reply) => {
      await deleteForm(db, workspaceOf(request), request.params.id, (trx) => auditWithin(request, trx));
      return reply.code(204).send();
    },
  );
}
