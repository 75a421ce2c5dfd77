import type { JsonValue, TriggerRequest } from '@waymark/sdk';
import type { FastifyRequest } from 'fastify';
import { parseJsonText } from '../../../engine/sdk/src/json-text.js';

/** The error code a package trigger's `refuse(status, …)` answers with; another status is 400 `validation_failed`. */
const REFUSAL_CODES: Readonly<Record<number, string>> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  422: 'schema_mismatch',
  429: 'rate_limited',
};

/**
 * The error code a package trigger's refusal with `status` answers with.
 *
 * @example
 * refusalCode(401) // → 'unauthorized'
 */
export function refusalCode(status: number): string {
  return REFUSAL_CODES[status] ?? 'validation_failed';
}

/** A header's value (its first, when sent several times). */
export function textHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The request as a package's webhook trigger sees it: lower-cased headers, the query, the raw body as text and parsed. */
export function triggerRequest(request: FastifyRequest, raw: Buffer): TriggerRequest {
  const joined = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(', ') : (value ?? ''));
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, v]) => [name.toLowerCase(), joined(v)]),
  );
  const query = Object.fromEntries(
    Object.entries((request.query ?? {}) as Record<string, string | string[]>).map(([name, v]) => [name, joined(v)]),
  );
  const body = raw.toString('utf8');
  let json: JsonValue | undefined;
  try {
    json = body ? (parseJsonText(body) as JsonValue) : undefined;
  } catch {
    json = undefined;
  }
  return { method: request.method, headers, query, body, json };
}
