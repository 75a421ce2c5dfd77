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
 * path, so a new visitor route is limited without remembering to say so. They share one
 * counter per address: a route's own `config.rateLimit` (or a `groupId`, issue #463 of
 * @fastify/rate-limit 11.2) gets a store of its own, so each route would allow the 600 again.
 */
export const limitsPlugin = fp(async (app: FastifyInstance) => {
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new RateLimitedError('too many requests from this address', context.ttl / 1000),
  });
  const visitorLimit = app.rateLimit(VISITOR_LIMIT);
  app.addHook('onRoute', (route) => {
    if (!VISITOR_ROUTES.test(route.url) || route.config?.rateLimit !== undefined) return;
    const onRequest = route.onRequest ?? [];
    // Last, as the plugin places a route's own limit: a 429 keeps what earlier hooks set (CORS).
    route.onRequest = [...(Array.isArray(onRequest) ? onRequest : [onRequest]), visitorLimit];
    documentErrorAnswer(route, 429);
  });
});
