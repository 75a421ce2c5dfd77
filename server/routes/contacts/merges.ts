import { NotFoundError } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { mergeContacts } from '../../../engine/contacts/merge/merge.js';
import { loadSurvivingContact } from '../../../engine/contacts/merge/survivor.js';
import { unmergeContacts } from '../../../engine/contacts/merge/unmerge.js';
import { countTriggerSteps } from '../../../engine/events/record.js';
import { idParams } from '../../schemas/ids.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';
import { contactSchema, errorResponses } from './schemas.js';

const fromBody = {
  type: 'object',
  properties: { from: { type: 'string', format: 'uuid' } },
  required: ['from'],
  additionalProperties: false,
} as const;

/** Merging two contacts into one and undoing it (contract identity.md "Merging contacts"). */
export async function contactMergesRoutes(app: FastifyInstance) {
  const { db } = app.runtime;
  // The answer follows a merge committed since ours (the contract's "or its last survivor"):
  // once the merge is done, only an erase in between leaves nothing to answer with.
  const load = async (workspaceId: string, id: string) => {
    const contact = await loadSurvivingContact(db, workspaceId, id);
    if (!contact) throw new NotFoundError(`contact ${id} was erased after the merge`);
    return contact;
  };

  app.post<{ Params: { id: string }; Body: { from: string } }>(
    '/api/contacts/:id/merge',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Merge another contact into this one (one transaction; reversible for 30 days)',
        params: idParams,
        body: fromBody,
        response: { 200: contactSchema, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => {
      const workspaceId = workspaceOf(request);
      const details = { from: request.body.from };
      const started = await mergeContacts(
        db,
        workspaceId,
        request.params.id,
        request.body.from,
        { automatic: false },
        (trx) => auditWithin(request, trx, { details }),
      );
      countTriggerSteps(app.runtime.metrics, started);
      return load(workspaceId, request.params.id);
    },
  );

  app.post<{ Params: { id: string }; Body: { from: string } }>(
    '/api/contacts/:id/unmerge',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Undo the merge of a contact into this one, within 30 days',
        params: idParams,
        body: fromBody,
        response: {
          200: {
            type: 'object',
            properties: { survivor: contactSchema, restored: contactSchema },
            required: ['survivor', 'restored'],
          },
          ...errorResponses(400, 404, 409),
        },
      },
    },
    async (request) => {
      const workspaceId = workspaceOf(request);
      const details = { from: request.body.from };
      const started = await unmergeContacts(db, workspaceId, request.params.id, request.body.from, (trx) =>
        auditWithin(request, trx, { details }),
      );
      countTriggerSteps(app.runtime.metrics, started);
      return {
        survivor: await load(workspaceId, request.params.id),
        restored: await load(workspaceId, request.body.from),
      };
    },
  );
}
