import { NotFoundError } from '@waymark/sdk';
import type { FastifyRequest } from 'fastify';

/**
 * The id of the request's workspace, which every data route passes to the engine as the
 * first argument after the database (`listJourneys(db, workspaceOf(request))`). The auth
 * plugin has already answered 404 when a data route has none; this only makes it certain.
 */
export function workspaceOf(request: FastifyRequest): string {
  const id = request.standing?.workspace?.id;
  if (!id) throw new NotFoundError('the request names no workspace');
  return id;
}
