import { type ErrorDetail, ValidationError } from '@waymark/sdk';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { schemaDetails } from '../../engine/schema-details.js';

/** A check of a body that JSON Schema cannot say (a duration, a filter): the problems it finds. */
export type BodyCheck = (request: FastifyRequest) => ErrorDetail[] | Promise<ErrorDetail[]>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route's second look at its body, after the schema. It runs also when the schema
     * failed (on a body that may be of any shape), and its problems are answered with the
     * schema's in one 400, so that `details` name every field at once.
     */
    bodyCheck?: BodyCheck;
  }
}

/**
 * Runs each route's `bodyCheck` together with its body schema. Such a route keeps the
 * schema's failure (fastify's `attachValidation`) instead of answering it at once; a path or
 * query string that fails is answered as on any route. A field the schema already named is
 * not named again.
 */
export const bodyChecksPlugin = fp(async (app: FastifyInstance) => {
  app.addHook('onRoute', (route) => {
    if (route.config?.bodyCheck) route.attachValidation = true;
  });
  app.addHook('preHandler', async (request) => {
    const check = request.routeOptions.config.bodyCheck;
    if (!check) return;
    const failed = request.validationError as FastifyError | undefined;
    if (failed && failed.validationContext !== 'body') throw failed;
    const fromSchema = failed ? schemaDetails(failed.validation, { label: 'body' }) : [];
    const named = new Set(fromSchema.map((d) => d.path));
    const details = [...fromSchema, ...(await check(request)).filter((d) => !named.has(d.path))];
    if (details.length) throw new ValidationError("the request's body is invalid", details);
  });
});
