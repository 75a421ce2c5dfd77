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

/**
 * Response schemas for the error statuses a route may answer, for `schema.response`:
 * `...errorResponses(400, 404)`. 401 (every /api route), 500 and 503 are always included.
 *
 * @example
 * schema: { response: { 200: journeySchema, ...errorResponses(400, 404, 409) } }
 */
export function errorResponses(...statuses: number[]): Record<number, typeof errorSchema> {
  const all = new Set([...statuses, 401, 500, 503]);
  const known = new Set(Object.values(ERROR_STATUSES));
  return Object.fromEntries([...all].filter((s) => known.has(s)).map((s) => [s, errorSchema]));
}
