import type { RouteOptions } from 'fastify';
import { isPublicRoute } from '../plugins/auth.js';
import { errorResponse } from './errors.js';

// Fastify reads a body sent with DELETE or OPTIONS too (and so refuses one it cannot read).
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Adds to a documented route the error answers that come from the framework rather than from
 * its handler, so the OpenAPI document lists every answer: a route taking a body may answer
 * 400 (not JSON) and 413, one under /api also 415 (another Content-Type); a route with a
 * params or query schema may answer 400; one behind the token also 429. A status the route names itself is left as it is.
 */
export function addCommonAnswers(route: RouteOptions): void {
  const schema = route.schema as
    | { response?: Record<string, unknown>; params?: unknown; querystring?: unknown; hide?: boolean }
    | undefined;
  if (!schema?.response || schema.hide) return;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const statuses: number[] = [];
  if (methods.some((m) => BODY_METHODS.has(m))) {
    statuses.push(400, 413);
    if (route.url.startsWith('/api/')) statuses.push(415);
  }
  if (schema.params || schema.querystring) statuses.push(400);
  // Failed authentications from one address are limited (plugins/auth.ts).
  if (route.url.startsWith('/api/') && !isPublicRoute(route)) statuses.push(429);
  const added = statuses.filter((s) => !(String(s) in (schema.response ?? {})));
  // Copies, not edits: routes share their response and schema objects.
  if (added.length)
    route.schema = {
      ...schema,
      response: { ...schema.response, ...Object.fromEntries(added.map((s) => [s, errorResponse(s)])) },
    };
}
