import type { FastifyInstance } from 'fastify';
import { bearer, sameSecret } from '../../plugins/auth.js';
import { sendError } from '../../plugins/errors.js';

/**
 * API.md "Metrics": `GET /metrics` on the HTTP port, to `Authorization: Bearer <METRICS_TOKEN>`
 * only (API tokens do not open it; a wrong one counts as a failed authentication). Without
 * `METRICS_TOKEN` the path does not exist here. Not an `/api` route, not in the OpenAPI document.
 * Nothing here waits on the database (failed authentications are counted in this process's
 * memory; the metrics leave out what the database cannot give), so a scrape during an outage
 * still answers, with `waymark_database_up` 0 (server/README.md).
 */
export async function metricsRoutes(app: FastifyInstance) {
  const { config, metrics } = app.runtime;
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    const expected = config.metricsToken;
    if (expected === null) return sendError(reply, 'not_found', 'no route GET /metrics');
    const sent = bearer(request);
    // Checked and, wrong, counted against the address in one step (checkSecret).
    const right = await app.checkSecret(request, async () => (sent !== null && sameSecret(sent, expected)) || null);
    if (!right) return sendError(reply, 'unauthorized', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
