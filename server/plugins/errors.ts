import { type ErrorDetail, RateLimitedError, WaymarkError } from '@waymark/sdk';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { schemaDetails } from '../../engine/schema-details.js';
import { ERROR_STATUSES } from '../error-statuses.js';
import { unsupportedMediaType } from './bodies.js';
import { drainOversizedBody } from './oversized-bodies.js';

// PostgreSQL and socket errors that mean "the database is not there", not "your request is wrong":
// among them a server that takes no more connections (53300 too_many_connections). A database
// closed to connections (ALLOW_CONNECTIONS false) says so only in its message: its code, 55000,
// is also that of query errors.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '53300',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);

/** True when an error, or one it wraps (`cause`, an AggregateError's `errors`), says the database cannot be reached. */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  const e = error as { code?: string; message?: string; cause?: unknown; errors?: unknown } | null;
  if (!e || typeof e !== 'object' || depth > 5) return false;
  if (e.code && UNAVAILABLE_CODES.has(e.code)) return true;
  if (
    /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error|is not currently accepting connections/i.test(
      e.message ?? '',
    )
  )
    return true;
  const wrapped = [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  return wrapped.some((inner) => isDatabaseUnavailable(inner, depth + 1));
}

/** An error's status and body, `{ error: { code, message, details? } }`: the one shape every error answer has. */
export function errorAnswer(code: string, message: string, details: readonly ErrorDetail[] = []) {
  const status = ERROR_STATUSES[code] ?? 500;
  return { status, body: { error: { code, message, ...(details.length ? { details } : {}) } } };
}

export function sendError(reply: FastifyReply, code: string, message: string, details: readonly ErrorDetail[] = []) {
  const { status, body } = errorAnswer(code, message, details);
  if (code === 'unavailable') reply.header('retry-after', '5');
  return reply.code(status).send(body);
}

/** A byte count as people write it: `1 MiB`, `64 KiB`, else bytes. */
function byteSize(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function fromFastify(
  error: FastifyError,
  request: FastifyRequest,
): { code: string; message: string; details: ErrorDetail[] } | null {
  if (error.validation) {
    const where = error.validationContext ?? 'body';
    return {
      code: 'validation_failed',
      message: `the request's ${where} ${where === 'params' || where === 'headers' ? 'are' : 'is'} invalid`,
      details: schemaDetails(error.validation, { label: where }),
    };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const limit = request.routeOptions.bodyLimit;
      const message = limit
        ? `the body is over this route's limit of ${byteSize(limit)}`
        : 'the body is larger than this route accepts';
      return { code: 'payload_too_large', message, details: [] };
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'unsupported_media_type', message: unsupportedMediaType(request).message, details: [] };
  }
  if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message))) {
    return { code: 'invalid_json', message: 'the body is not valid JSON', details: [] };
  }
  if (error.statusCode === 413) return { code: 'payload_too_large', message: error.message, details: [] };
  if (error.statusCode === 415) return { code: 'unsupported_media_type', message: error.message, details: [] };
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return { code: 'validation_failed', message: error.message, details: [] };
  }
  return null;
}

/** One error shape everywhere: `{ error: { code, message, details? } }`, never a stack trace. */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = error instanceof WaymarkError ? null : fromFastify(error, request);
    if (error instanceof WaymarkError ? error.code === 'payload_too_large' : known?.code === 'payload_too_large') {
      // Read the rest of the body first (up to a bound), so the client is not reset mid-send;
      // a body past the bound is left unread and its connection closed after the answer.
      // The promise resolves to the reply: resolved empty while a route's onSend hooks still
      // ran (a webhook's), fastify answered a second time and logged it as a fault.
      return drainOversizedBody(request).then((whole) => {
        if (!whole) reply.header('connection', 'close');
        // An import cut short lists the failed rows among those it read (engine/contacts/import.ts).
        const details = error instanceof WaymarkError ? error.details : [];
        return sendError(reply, 'payload_too_large', known?.message ?? error.message, details);
      });
    }
    if (error instanceof WaymarkError) {
      // Errors that know when to come back (rate_limited) say so in Retry-After.
      if (error instanceof RateLimitedError) reply.header('retry-after', String(error.retryAfterSeconds));
      return sendError(reply, error.code, error.message, error.details);
    }
    if (known) return sendError(reply, known.code, known.message, known.details);
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error.message }, 'database unavailable');
      return sendError(reply, 'unavailable', 'the database cannot be reached; nothing was accepted, retry later');
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, 'internal_error', 'something went wrong on our side');
  });
});
