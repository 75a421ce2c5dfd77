import { ValidationError } from '@waymark/sdk';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { findUnstorableText } from '../../engine/db/storable-text.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The path parameters are signed tokens (tracking, unsubscribe): one holding text PostgreSQL
     * cannot store is an altered token, which the route answers 404 like any other, not a field
     * to name in a 400.
     */
    signedParams?: boolean;
  }
}

/** A body parsed into JSON-like data (JSON, a form), not one left as bytes, text or a stream. */
function isParsed(body: unknown): body is object {
  if (typeof body !== 'object' || body === null) return false;
  const proto = Object.getPrototypeOf(body);
  return Array.isArray(body) || proto === Object.prototype || proto === null;
}

/**
 * 400 `validation_failed` naming the field of `value` that PostgreSQL cannot store, or
 * undefined when it has none; `where` starts the message (`body/attributes/plan must not …`).
 */
export function unstorableTextError(where: string, value: unknown): ValidationError | undefined {
  const found = findUnstorableText(value);
  if (!found) return undefined;
  const message = `${where}${found.path} ${found.problem}`;
  return new ValidationError(message, [{ path: found.path, message }]);
}

/**
 * Every request's path parameters, query string and parsed body are searched once, before
 * their schemas, for text PostgreSQL cannot store (a NUL character, a lone surrogate) and for
 * objects nested past `MAX_JSON_DEPTH`, which JSON.stringify cannot write: 400
 * `validation_failed` naming the field, instead of a database error at whichever write or
 * lookup meets it first. Bodies a route reads as bytes or as a stream (webhooks, imports)
 * are searched where they are parsed.
 */
export const storableTextPlugin = fp(async (app: FastifyInstance) => {
  // A callback hook: no promise per request on the webhook path.
  app.addHook('preValidation', (request: FastifyRequest, _reply, done) => {
    // A path no route takes answers 404 whatever it holds.
    if (request.is404) return done();
    done(
      (request.routeOptions.config.signedParams ? undefined : unstorableTextError('params', request.params)) ??
        unstorableTextError('querystring', request.query) ??
        (isParsed(request.body) ? unstorableTextError('body', request.body) : undefined),
    );
  });
});
