import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { canonicalId } from '../../engine/db/ids.js';

type Part = 'params' | 'query' | 'body';

/** The fields of one part of a request that a route reads as UUIDs (`format: "uuid"`, or a list of them). */
function uuidFields(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, { format?: string; items?: { format?: string } }> })
    ?.properties;
  return Object.entries(properties ?? {})
    .filter(([, p]) => p?.format === 'uuid' || p?.items?.format === 'uuid')
    .map(([name]) => name);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Per part of the request, the fields its schema reads as UUIDs (set by `uuidCasePlugin`). */
    uuidFields?: Partial<Record<Part, string[]>>;
  }
}

/**
 * A UUID is the same id in either case (RFC 9562; Swift's `UUID().uuidString` is upper case),
 * while ids are stored and compared lower-case: every field a route's schema reads as a UUID
 * (path, query string, top-level body fields, lists of ids) is taken lower-cased, so
 * `GET /api/contacts/<ID>` finds the contact `POST /api/events` with the same `<ID>` reached.
 */
export const uuidCasePlugin = fp(async (app: FastifyInstance) => {
  app.addHook('onRoute', (route) => {
    const schema = route.schema;
    if (!schema) return;
    const found: Partial<Record<Part, string[]>> = {};
    for (const [part, s] of [
      ['params', schema.params],
      ['query', schema.querystring],
      ['body', schema.body],
    ] as const) {
      const fields = uuidFields(s);
      if (fields.length) found[part] = fields;
    }
    if (Object.keys(found).length) route.config = { ...route.config, uuidFields: found };
  });
  // The path and query string as soon as the route is known, so the route's own onRequest
  // hooks (auth: "any member may remove themselves") read ids as its handler does; the body
  // once it is parsed.
  app.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
    const fields = request.routeOptions.config?.uuidFields;
    if (fields) for (const part of ['params', 'query'] as const) lowerCase(request[part], fields[part]);
    done();
  });
  app.addHook('preValidation', (request: FastifyRequest, _reply, done) => {
    lowerCase(request.body, request.routeOptions.config?.uuidFields?.body);
    done();
  });
});

/** Lower-cases the UUIDs held by `names` of `values` (an object of the request), in place. */
function lowerCase(values: unknown, names: string[] | undefined): void {
  if (!names || typeof values !== 'object' || values === null) return;
  const record = values as Record<string, unknown>;
  const lower = (v: unknown) => (typeof v === 'string' ? canonicalId(v) : v);
  for (const name of names) {
    const value = record[name];
    if (value !== undefined) record[name] = Array.isArray(value) ? value.map(lower) : lower(value);
  }
}
