import { NotFoundError } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import type { PreviewRequest } from '../../../engine/content/preview.js';
import { previewTemplate } from '../../../engine/content/preview.js';
import { sendTestTemplate } from '../../../engine/content/send-test.js';
import {
  deleteTemplate,
  getTemplate,
  listTemplates,
  putTemplate,
  templateVersion,
} from '../../../engine/content/templates.js';
import type { TemplateInput } from '../../../engine/content/types.js';
import { errorResponses } from '../../schemas/errors.js';
import { requireContactReads } from '../../teams/access/contact-reads.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';
import {
  contentBody,
  contentIdParams,
  previewBody,
  previewSchema,
  sendTestBody,
  sendTestSchema,
  templateListSchema,
  templateSchema,
  templateVersionSchema,
} from './template-schemas.js';

type IdParams = { Params: { id: string } };

/** Email templates with versions, their preview and test send (contracts/content.md). */
export async function templatesRoutes(app: FastifyInstance) {
  const { runtime } = app;
  const { db } = runtime;

  app.put<IdParams & { Body: TemplateInput }>(
    '/api/templates/:id',
    {
      schema: {
        tags: ['templates'],
        params: contentIdParams,
        body: contentBody,
        response: { 200: templateSchema, 201: templateSchema, ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const { text, ...rest } = request.body;
      const input = { ...rest, text: text ?? null };
      const saved = await putTemplate(db, workspaceOf(request), request.params.id, input, (trx, created) =>
        auditWithin(request, trx, { status: created ? 201 : 200 }),
      );
      return reply.code(saved.created ? 201 : 200).send(saved.template);
    },
  );

  app.get(
    '/api/templates',
    { schema: { tags: ['templates'], response: { 200: templateListSchema, ...errorResponses() } } },
    async (request) => ({ templates: await listTemplates(db, workspaceOf(request)) }),
  );

  app.get<IdParams>(
    '/api/templates/:id',
    {
      schema: {
        tags: ['templates'],
        params: contentIdParams,
        response: { 200: templateSchema, ...errorResponses(404) },
      },
    },
    async (request) => {
      const template = await getTemplate(db, workspaceOf(request), request.params.id);
      if (!template) throw new NotFoundError(`no template ${request.params.id}`);
      return template;
    },
  );

  app.get<{ Params: { id: string; version: number } }>(
    '/api/templates/:id/versions/:version',
    {
      schema: {
        tags: ['templates'],
        params: {
          type: 'object',
          properties: { ...contentIdParams.properties, version: { type: 'integer', minimum: 1 } },
          required: ['id', 'version'],
        },
        response: { 200: templateVersionSchema, ...errorResponses(404) },
      },
    },
    async (request) => {
      const found = await templateVersion(db, workspaceOf(request), request.params.id, request.params.version);
      if (!found) throw new NotFoundError(`no version ${request.params.version} of template ${request.params.id}`);
      return found;
    },
  );

  app.delete<IdParams>(
    '/api/templates/:id',
    {
      schema: {
        tags: ['templates'],
        params: contentIdParams,
        response: { 204: { type: 'null' }, ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      await deleteTemplate(db, workspaceOf(request), request.params.id, (trx) => auditWithin(request, trx));
      return reply.code(204).send();
    },
  );

  app.post<IdParams & { Body: PreviewRequest }>(
    '/api/templates/:id/preview',
    {
      schema: {
        tags: ['templates'],
        summary: 'Renders the template for a stored or typed contact as a send would, and lists its problems',
        params: contentIdParams,
        body: previewBody,
        response: { 200: previewSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      if (request.body?.contactId !== undefined) requireContactReads(request);
      const { headers: _headers, ...preview } = await previewTemplate(
        runtime,
        workspaceOf(request),
        request.params.id,
        request.body ?? {},
      );
      return preview;
    },
  );

  app.post<IdParams & { Body: PreviewRequest & { to: string; from: string } }>(
    '/api/templates/:id/send-test',
    {
      schema: {
        tags: ['templates'],
        summary: 'Sends the preview to an address, subject prefixed [Test]; no contact rules, nothing recorded',
        params: contentIdParams,
        body: sendTestBody,
        response: { 200: sendTestSchema, ...errorResponses(400, 404, 422, 502) },
      },
    },
    async (request) => {
      if (request.body?.contactId !== undefined) requireContactReads(request);
      // Recorded with the stored message, before it is sent: a mail the server then refuses
      // (502) stays recorded, its message `failed`.
      return sendTestTemplate(runtime, workspaceOf(request), request.params.id, request.body, (trx, messageId) =>
        auditWithin(request, trx, { details: { messageId } }),
      );
    },
  );
}
