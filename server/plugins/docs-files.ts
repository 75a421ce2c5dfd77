import type { FastifyError, RouteOptions } from 'fastify';

/**
 * The API docs' own files (`/docs/static/*`, swagger-ui's, served by @fastify/static) are the
 * only ones under that path: one whose path climbs out of their folder (`..`, `%2e%2e`, `..\`)
 * is refused by the file server with 403 "Forbidden" before any file is read. Nothing is there
 * to find, so it gets the JSON 404 `not_found` of every unknown path instead of that refusal
 * (which would tell that the folder is checked, and answered 400 `validation_failed`).
 */
export function answerClimbOutOfDocsAsNotFound(route: RouteOptions): void {
  if (!route.url.startsWith('/docs/static/')) return;
  const own = route.errorHandler;
  route.errorHandler = function (this: unknown, error: FastifyError, request, reply) {
    if (error.statusCode === 403 || (error as { status?: number }).status === 403) return reply.callNotFound();
    if (own) return own.call(this as never, error, request, reply);
    // Rethrown, so the app's error handler answers it in the one shape.
    throw error;
  };
}
