import type { FastifyInstance } from 'fastify';
import { DATABASE_UNREACHABLE } from '../../../engine/health.js';

/**
 * `GET /healthz`: 200 once migrated with the worker running, 503 while the database is
 * unreachable and once the server is shutting down.
 */
export async function healthRoutes(app: FastifyInstance) {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operation'],
        security: [],
        summary: 'Liveness: 200 once migrated with the worker running, 503 while the database is unreachable',
        response: {
          200: { type: 'object', properties: { ok: { type: 'boolean', const: true } }, required: ['ok'] },
          503: {
            type: 'object',
            description: "not healthy; `reason` says why in general terms (never an error's text)",
            properties: { ok: { type: 'boolean', const: false }, reason: { type: 'string' } },
            required: ['ok', 'reason'],
          },
        },
      },
    },
    async (_request, reply) => {
      const { health } = app.runtime;
      if (app.isClosing()) return reply.code(503).send({ ok: false, reason: 'the server is shutting down' });
      if (!health.ok) return reply.code(503).send({ ok: false, reason: DATABASE_UNREACHABLE });
      if (app.workerRequired && !app.workerRunning())
        return reply.code(503).send({ ok: false, reason: 'the worker is not running' });
      return { ok: true };
    },
  );
}
