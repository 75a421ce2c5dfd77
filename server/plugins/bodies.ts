import { type ErrorDetail, ValidationError, WaymarkError } from '@waymark/sdk';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { prototypeKeys } from '../../engine/db/prototype-keys.js';
import { pointerKey } from '../../engine/graph/pointer.js';
import { parseJsonText } from '../../engine/sdk/src/json-text.js';

/**
 * Reads a JSON body; a leading byte order mark is ignored (RFC 8259 §8.1). Empty (or only white space) is no body, as when none is sent: a client
 * that says `application/json` on a call without one is not refused. Text that is not JSON is
 * 400 `invalid_json`; a key that could reach an object's prototype is valid JSON, and is 400
 * `validation_failed` naming it.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  let body: unknown;
  try {
    body = parseJsonText(text);
  } catch {
    throw new WaymarkError('invalid_json', 'the body is not valid JSON');
  }
  // Such a key is spelt `__proto__` or `prototype` in the text, or with a \u escape.
  if (!/__proto__|prototype|\\u/.test(text)) return body;
  const details: ErrorDetail[] = prototypeKeys(body).map((at) => {
    const path = at.map((key) => `/${pointerKey(key)}`).join('');
    return { path, message: `body${path} is not an allowed key` };
  });
  if (details.length) throw new ValidationError("the request's body is invalid", details);
  return body;
}

/** The content types a route takes: its schema's `consumes` or `body.content`, else JSON. */
function takenTypes(request: FastifyRequest): string[] {
  const schema = request.routeOptions.schema as { consumes?: string[]; body?: { content?: object } } | undefined;
  return schema?.consumes ?? Object.keys(schema?.body?.content ?? {});
}

/**
 * 415 `unsupported_media_type` for a body of a type the route does not take, naming both; the
 * one answer for every route, whether fastify found no parser or a handler refused the type.
 */
export function unsupportedMediaType(request: FastifyRequest): WaymarkError {
  const given = request.headers['content-type']?.split(';')[0]?.trim();
  const taken = takenTypes(request);
  const takes = (taken.length ? taken : ['application/json']).join(' or ');
  return new WaymarkError(
    'unsupported_media_type',
    `${given ? `a body of Content-Type ${given}` : 'a body without a Content-Type'} is not taken here: send ${takes}`,
  );
}

/**
 * The one JSON parser, for every route: fastify's own (and its `text/plain` one, which handed
 * a JSON route a string to fail its schema) are replaced. Routes that take other types add
 * their parsers in their own plugin; a type no parser takes is 415.
 */
export const bodiesPlugin = fp(async (app: FastifyInstance) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    try {
      done(null, parseJsonBody(String(text)));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
});
