import type { FastifyRequest } from 'fastify';
import { ForbiddenError } from './principal.js';

/**
 * Whether the request may read stored contacts (`contacts:read`). Routes of another permission
 * that can show a stored contact's data (a template preview rendering it, a test run walking
 * it) ask this too: a token scoped to journeys alone must not read contacts through them.
 */
export const mayReadContacts = (request: FastifyRequest): boolean =>
  request.standing?.permissions.has('contacts:read') === true;

/** Throws 403 `forbidden` naming `contacts:read` unless the request may read stored contacts. */
export function requireContactReads(request: FastifyRequest): void {
  if (!mayReadContacts(request)) throw new ForbiddenError('contacts:read');
}
