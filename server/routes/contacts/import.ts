import { type Readable, Transform } from 'node:stream';
import { WaymarkError } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import { importContacts } from '../../../engine/contacts/import.js';
import { unsupportedMediaType } from '../../plugins/bodies.js';
import { workspaceOf } from '../../teams/access/workspace.js';
import { auditWithin } from '../../teams/audit/audit.js';
import { errorResponses, importResultSchema } from './schemas.js';

const IMPORT_LIMIT = 50 * 1024 * 1024;

/**
 * The body as read, failing with 413 `payload_too_large` once it passes `limit` bytes (a
 * streamed body declares no length). The request itself is left whole, so that the rest of
 * the body can be read and the 413 answered (plugins/errors.ts), not the connection reset.
 */
function limited(body: Readable, limit: number, message: string): Readable {
  let seen = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, next) {
      seen += chunk.length;
      if (seen > limit) next(new WaymarkError('payload_too_large', message));
      else next(null, chunk);
    },
  });
  body.on('error', (error) => counted.destroy(error));
  return body.pipe(counted);
}

/**
 * API.md "Contacts": `POST /api/contacts/import`. It reads its body as a stream and takes only
 * CSV and NDJSON: a plugin of its own, so the other contact routes take JSON alone.
 */
export async function contactImportRoutes(imports: FastifyInstance) {
  const { db } = imports.runtime;
  imports.removeAllContentTypeParsers();
  imports.addContentTypeParser(['text/csv', 'application/x-ndjson'], (_request, payload, done) => done(null, payload));

  imports.post<{ Querystring: { source?: string } }>(
    '/api/contacts/import',
    {
      bodyLimit: IMPORT_LIMIT,
      schema: {
        tags: ['contacts'],
        querystring: {
          type: 'object',
          properties: { source: { type: 'string', pattern: '^[a-z0-9._-]{1,64}$', default: 'import' } },
          additionalProperties: false,
        },
        summary: 'Import contacts from CSV (text/csv) or NDJSON (application/x-ndjson)',
        consumes: ['text/csv', 'application/x-ndjson'],
        // For the document only: a schema without a type takes the streamed body as it is.
        body: {
          content: {
            'text/csv': {
              schema: {
                description:
                  'a header row (email, phone, externalId, timezone; any other column is an attribute), then a contact a row',
              },
            },
            'application/x-ndjson': { schema: { description: 'one POST /api/contacts body a line' } },
          },
        },
        response: {
          200: importResultSchema,
          ...errorResponses(400, 413, 415),
        },
      },
    },
    async (request) => {
      const type = String(request.headers['content-type'] ?? '')
        .split(';')[0]
        ?.trim();
      // A call with no body at all reaches here without a parser.
      if (type !== 'text/csv' && type !== 'application/x-ndjson') throw unsupportedMediaType(request);
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > IMPORT_LIMIT) throw new WaymarkError('payload_too_large', 'an import is at most 50 MiB');
      const body = limited(request.body as Readable, IMPORT_LIMIT, 'an import is at most 50 MiB');
      const format = type === 'text/csv' ? 'csv' : 'ndjson';
      // The import's one entry goes with its first stored batch, so rows stored are never
      // unrecorded, even by an import cut short; one that stores nothing is recorded as it answers.
      return importContacts(db, workspaceOf(request), body, format, request.query.source, (trx) =>
        auditWithin(request, trx),
      );
    },
  );
}
