import { WaymarkError } from '@waymark/sdk';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { findToken, redeemLiveTicket } from '../auth/tokens.js';
import { sendError } from './errors.js';

/** How long a token found valid is believed without asking the database (API.md: ≤ 1 s). */
const TRUST_MS = 1000;
/** API.md "Auth": more than 20 failed authentications a minute from one address → 429. */
const FAILED_AUTH_MAX = 20;
const FAILED_AUTH_WINDOW_MS = 60_000;

/** Too many failed authentications from one address: HTTP 429 `rate_limited`, with `Retry-After`. */
export class TooManyFailuresError extends WaymarkError {
  constructor(readonly retryAfterSeconds: number) {
    super('rate_limited', `too many failed authentications from this address; retry in ${retryAfterSeconds} s`);
  }
}

/** A credential from an origin the live feed does not serve: HTTP 403 `forbidden`. */
export class ForeignOriginError extends WaymarkError {
  constructor(origin: string) {
    super('forbidden', `the live feed does not take a ticket or URL token from the origin ${origin}`);
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The live feed: a browser cannot set headers on a websocket, so the route also takes a
     * single-use `?ticket=` (or the legacy `?token=`) from its own origin.
     */
    urlCredentials?: boolean;
  }
  interface FastifyInstance {
    /** Drops this process's belief in tokens found valid (after a revocation). */
    forgetTrustedTokens(): void;
  }
  interface FastifyRequest {
    /** The id of the API token that authenticated this request (routes under /api). */
    tokenId: string | null;
  }
}

/** A route is public when its OpenAPI entry says so (`security: []`), so the document and the check agree. */
export function isPublicRoute(route: RouteOptions): boolean {
  const security = (route.schema as { security?: unknown[] } | undefined)?.security;
  return Array.isArray(security) && security.length === 0;
}

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1] ?? null;
}

function queryValue(request: FastifyRequest, name: string): string | null {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/**
 * Every route declared under `/api/` needs an API token, decided by the route a request
 * reached, never by the text of its URL: the check is attached to each route as it is
 * registered, so `/%61pi/…`, `//api/…` or `/api/./…` reach a handler only through it.
 * Valid tokens are believed for a second; a failed attempt counts against the address.
 */
export const authPlugin = fp(async (app: FastifyInstance) => {
  const { db, config } = app.runtime;
  const trusted = new Map<string, { id: string; until: number }>();
  const failures = app.createRateLimit({ max: FAILED_AUTH_MAX, timeWindow: FAILED_AUTH_WINDOW_MS });
  const publicOrigin = new URL(config.publicUrl).origin;

  app.decorateRequest('tokenId', null);
  // This process forgets at once; the others within TRUST_MS.
  app.decorate('forgetTrustedTokens', () => trusted.clear());

  async function tokenId(token: string): Promise<string | null> {
    const known = trusted.get(token);
    if (known && known.until > Date.now()) return known.id;
    const id = await findToken(db, token);
    if (trusted.size > 1000) trusted.clear();
    if (id) trusted.set(token, { id, until: Date.now() + TRUST_MS });
    else trusted.delete(token);
    return id;
  }

  function checkOrigin(request: FastifyRequest) {
    const origin = request.headers.origin;
    if (!origin) return; // not a browser: nothing to forge
    const own = `${request.protocol}://${request.host}`;
    if (origin !== publicOrigin && origin !== own) throw new ForeignOriginError(origin);
  }

  async function identify(request: FastifyRequest, urlCredentials: boolean): Promise<string | null> {
    const header = bearer(request);
    if (header) return tokenId(header);
    if (!urlCredentials) return null;
    const ticket = queryValue(request, 'ticket');
    const token = queryValue(request, 'token');
    if (!ticket && !token) return null;
    checkOrigin(request);
    if (ticket) return (await redeemLiveTicket(db, ticket)) ?? null;
    return token ? tokenId(token) : null;
  }

  const authenticate =
    (urlCredentials: boolean): onRequestHookHandler =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const seen = await failures(request, { increment: false });
      if (!seen.isAllowed && seen.remaining === 0) throw new TooManyFailuresError(seen.ttlInSeconds);
      const id = await identify(request, urlCredentials);
      if (id) {
        request.tokenId = id;
        return;
      }
      await failures(request);
      return sendError(reply, 'unauthorized', 'a valid API token is required (Authorization: Bearer <token>)');
    };

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/') || isPublicRoute(route)) return;
    const check = authenticate(route.config?.urlCredentials === true);
    const own = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : [];
    route.onRequest = [check, ...own];
  });
});
