import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sendError } from './errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** True once `close()` has begun: requests still arriving are turned away (`closingPlugin`). */
    isClosing(): boolean;
  }
}

/**
 * Requests that arrive while the server closes (on a kept-alive connection, or pipelined
 * behind one still running) answer 503 `unavailable` with Retry-After and `Connection: close`,
 * in the one error shape: fastify's own answer (`return503OnClosing`, turned off in `buildApp`)
 * has another shape and no Retry-After. Requests already under way finish as usual;
 * `/healthz` answers for itself, unhealthy.
 */
export const closingPlugin = fp(async (app: FastifyInstance) => {
  let closing = false;
  app.decorate('isClosing', () => closing);
  app.addHook('preClose', async () => {
    closing = true;
  });
  // A callback hook: no promise per request on the webhook path.
  app.addHook('onRequest', (request, reply, done) => {
    if (!closing || request.routeOptions.url === '/healthz') return done();
    sendError(reply, 'unavailable', 'the server is shutting down; nothing was accepted, retry later');
  });
});
