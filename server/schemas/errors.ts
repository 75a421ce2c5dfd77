import { ERROR_STATUSES } from '../error-statuses.js';

/** The JSON Schema of every error answer: `{ error: { code, message, details? } }` (API.md "Errors"). */
export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              path: { type: 'string' },
              nodeId: { type: 'string' },
              edgeId: { type: 'string' },
              permission: { type: 'string' },
              journeyId: { type: 'string' },
              journeyName: { type: 'string' },
              version: { type: 'integer' },
              row: { type: 'integer', description: 'an import row that failed (a 413 import: the rows read)' },
              field: { type: 'string', description: "that row's column or JSON pointer without its leading /" },
              message: { type: 'string' },
            },
            required: ['message'],
          },
        },
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

// What the OpenAPI document says of each error status; the codes are API.md's table.
const DESCRIPTIONS: Record<number, string> = {
  400: 'invalid_json or validation_failed: `details` name each bad field',
  401: 'unauthorized: missing or wrong token or secret',
  403: 'forbidden: the role or token scopes lack the route’s permission (`details[0].permission`), or the credential may not be used from here; csrf_failed: a cookie request without its X-CSRF-Token, or a foreign Origin',
  404: 'not_found: unknown id or route, or an X-Waymark-Workspace the principal is no member of',
  409: 'conflict, journey_paused or package_in_use: the request clashes with the current state',
  412: 'precondition_failed: the request’s If-Match names a revision that is no longer current; nothing was changed',
  413: 'payload_too_large: the body is over the route’s limit',
  415: 'unsupported_media_type: the route does not take this Content-Type',
  422: 'invalid_graph, schema_mismatch or invalid_package: `details` list every problem',
  429: 'rate_limited: over a rate limit (a journey’s webhook limit, failed authentications or visitor requests from one address); come back after Retry-After seconds',
  500: 'internal_error: something went wrong on the server’s side',
  502: 'delivery_failed or registry_unavailable: a server Waymark relies on refused or could not be reached',
  503: 'unavailable: the database cannot be reached and nothing was accepted; retry after Retry-After seconds',
};

// @fastify/swagger turns each header schema into an OpenAPI header object.
const RETRY_AFTER = { 'Retry-After': { type: 'integer', minimum: 1, description: 'seconds to wait before retrying' } };

/** The response schema of one error status, with its description (and `Retry-After` for 429 and 503). */
export function errorResponse(status: number) {
  return {
    ...errorSchema,
    description: DESCRIPTIONS[status] ?? 'an error',
    ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
  };
}

/**
 * Response schemas for the error statuses a route may answer, for `schema.response`:
 * `...errorResponses(400, 404)`. 401 (every /api route), 500 and 503 are always included.
 *
 * @example
 * schema: { response: { 200: journeySchema, ...errorResponses(400, 404, 409) } }
 */
export function errorResponses(...statuses: number[]): Record<number, ReturnType<typeof errorResponse>> {
  const all = new Set([...statuses, 401, 500, 503]);
  const known = new Set(Object.values(ERROR_STATUSES));
  return Object.fromEntries([...all].filter((s) => known.has(s)).map((s) => [s, errorResponse(s)]));
}

/**
 * Adds an error status to what a route's schema says it answers, for hooks that give routes an
 * answer of their own (a rate limit's 429): the OpenAPI document lists every answer a route gives.
 * A route without response schemas is left as it is.
 */
export function documentErrorAnswer(route: { schema?: object }, status: number): void {
  const response = (route.schema as { response?: Record<number, unknown> } | undefined)?.response;
  if (route.schema && response && !response[status])
    route.schema = { ...route.schema, response: { ...response, [status]: errorResponse(status) } };
}
