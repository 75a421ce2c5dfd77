import type { RouteOptions } from 'fastify';
import { errorResponse } from '../../schemas/errors.js';
import { ROLE_PERMISSIONS, routePermission, SCOPE_PERMISSIONS } from './permissions.js';

/**
 * Shows the permission table in the OpenAPI document: each operation's
 * `x-waymark-permission`, and on every operation that is not public the answers of that check
 * (contract teams.md: 401, then 404 for a workspace the principal is no member of, then 403).
 */
export function documentPermission(route: RouteOptions): void {
  const schema = route.schema as { response?: Record<string, unknown>; hide?: boolean } | undefined;
  if (!schema) return;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const method = methods.find((m) => m !== 'HEAD') ?? 'GET';
  const permission = routePermission(method, route.url);
  const response = schema.response;
  const added = permission === 'public' || !response ? [] : [403, 404].filter((s) => !(String(s) in response));
  // Copies, not edits: routes share their schema objects.
  route.schema = {
    ...(schema as Record<string, unknown>),
    'x-waymark-permission': permission,
    ...(added.length
      ? { response: { ...response, ...Object.fromEntries(added.map((s) => [s, errorResponse(s)])) } }
      : {}),
  } as RouteOptions['schema'];
}

/** The document root's `x-waymark-roles` and `x-waymark-scopes`. */
export function addRolesToDocument(document: Record<string, unknown>): Record<string, unknown> {
  return {
    ...document,
    'x-waymark-roles': Object.fromEntries(Object.entries(ROLE_PERMISSIONS).map(([r, ps]) => [r, [...ps]])),
    'x-waymark-scopes': Object.fromEntries(Object.entries(SCOPE_PERMISSIONS).map(([s, ps]) => [s, [...ps]])),
  };
}
