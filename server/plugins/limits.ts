import fastifyRateLimit from '@fastify/rate-limit';
import { RateLimitedError } from '@waymark/sdk';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { documentErrorAnswer } from '../schemas/errors.js';

/** API.md "Auth": tracking, unsubscribe and form routes allow 600 requests a minute per address. */
export const VISITOR_LIMIT = { max: 600, timeWindow: 60_000 };
/** Routes that people reach from mail and pages, without a token. */
const VISITOR_ROUTES = /^\/(t|unsubscribe|forms?|f)\//;

/**
 * Per-address limits with @fastify/rate-limit. Counts are kept in each process (an address
 * spread over N processes gets up to N times a limit); the visitor routes get theirs by
 * path, so a new visitor route is limited without remembering to say so.
 */
export const limitsPlugin = fp(async (app: FastifyInstance) => {
  app.addHook('onRoute', (route) => {
    if (!VISITOR_ROUTES.test(route.url) || route.config?.rateLimit !== undefined) return;
    route.config = { ...route.config, rateLimit: VISITOR_LIMIT };
    documentErrorAnswer(route, 429);
  });
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new RateLimitedError('too many requests from this address', context.ttl / 1000),
  });
});
