import { timingSafeEqual } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import { WaymarkError } from '@waymark/sdk';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  preValidationHookHandler,
  RouteOptions,
} from 'fastify';
import fp from 'fastify-plugin';
import { findToken, redeemLiveTicket, type TokenPrincipal, tokenById } from '../auth/tokens.js';
import { refuseOtherSite } from '../teams/access/fetch-site.js';
import { documentPermission } from '../teams/access/openapi.js';
import { type RoutePermission, routePermission } from '../teams/access/permissions.js';
import {
  authorize,
  CsrfError,
  heldSomewhere,
  type Principal,
  resolveStanding,
  type Standing,
} from '../teams/access/principal.js';
import { findSession, markSessionUsed, SESSION_COOKIE } from '../teams/accounts/sessions.js';
import { sendError } from './errors.js';
import { listOf } from './failed-auth.js';

/** How long a token found valid is believed without asking the database (API.md: ≤ 1 s). */
const TRUST_MS = 1000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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
     * single-use `?ticket=` (or the legacy `?token=`) from its own origin, never a cookie.
     */
    urlCredentials?: boolean;
    /**
     * The body field naming the workspace the route acts on, when not the request's
     * (`POST /api/tokens` `workspaceId`): the route's permission is checked there.
     */
    workspaceField?: string;
  }
  interface FastifyInstance {
    /** Drops this process's belief in tokens found valid (after a revocation). */
    forgetTrustedTokens(): void;
    /** Throws 403 `csrf_failed` for an `Origin` other than PUBLIC_URL's or the request's own. */
    checkOwnOrigin(request: FastifyRequest): void;
  }
  interface FastifyRequest {
    /** The id of the API token that authenticated this request (routes under /api). */
    tokenId: string | null;
    /** Who the request acts as (routes under /api that are not public). */
    principal: Principal | null;
    /** The request's workspace, role and permissions. */
    standing: Standing;
    /**
     * On a route whose body names the workspace: the refusal owed whatever the body says (the
     * principal lacks the permission in every workspace it could name), answered instead of
     * anything that stops the body being read (400 `invalid_json`, 415, 413).
     */
    refusedWhateverTheBody: Error | null;
  }
}

/** A route is public when its OpenAPI entry says so (`security: []`), so the document and the check agree. */
export function isPublicRoute(route: RouteOptions): boolean {
  const security = (route.schema as { security?: unknown[] } | undefined)?.security;
  return Array.isArray(security) && security.length === 0;
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1] ?? null;
}

function queryValue(request: FastifyRequest, name: string): string | null {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const asToken = (t: TokenPrincipal | null): Principal | null => (t ? { type: 'token', ...t } : null);

/**
 * Every route declared under `/api/` needs a token or a session, decided by the route a request
 * reached, never by the text of its URL: the check is attached to each route as it is
 * registered, so `/%61pi/…`, `//api/…` or `/api/./…` reach a handler only through it.
 * A session cookie is not taken from another site (`refuseOtherSite`, after the CSRF check), and
 * its session is marked used only once both let the request through.
 * Then the workspace (404), then the route's permission from the one table (403).
 * Valid tokens are believed for a second; an attempt is checked and, failed, counted against
 * the address in one step (`checkSecret`), so guesses sent at once cannot outrun the limit.
 */
export const authPlugin = fp(async (app: FastifyInstance) => {
  const { db, config } = app.runtime;
  const trusted = new Map<string, { principal: TokenPrincipal; until: number }>();
  const publicOrigin = new URL(config.publicUrl).origin;

  await app.register(fastifyCookie);
  app.decorateRequest('tokenId', null);
  app.decorateRequest('principal', null);
  app.decorateRequest('standing', null as unknown as Standing);
  app.decorateRequest('refusedWhateverTheBody', null);
  // This process forgets at once; the others within TRUST_MS.
  app.decorate('forgetTrustedTokens', () => trusted.clear());
  app.decorate('checkOwnOrigin', (request: FastifyRequest) => {
    const origin = request.headers.origin;
    if (origin && origin !== publicOrigin && origin !== `${request.protocol}://${request.host}`)
      throw new CsrfError(`requests from the origin ${origin} are refused`);
  });

  async function token(secret: string): Promise<Principal | null> {
    const known = trusted.get(secret);
    if (known && known.until > Date.now()) return asToken(known.principal);
    const found = await findToken(db, secret);
    if (trusted.size > 1000) trusted.clear();
    if (found) trusted.set(secret, { principal: found, until: Date.now() + TRUST_MS });
    else trusted.delete(secret);
    return asToken(found);
  }

  function checkOrigin(request: FastifyRequest) {
    const origin = request.headers.origin;
    if (!origin) return; // not a browser: nothing to forge
    const own = `${request.protocol}://${request.host}`;
    if (origin !== publicOrigin && origin !== own) throw new ForeignOriginError(origin);
  }

  async function fromTicket(ticket: string): Promise<{ principal: Principal; workspace?: string } | null> {
    const holder = await redeemLiveTicket(db, ticket);
    if (!holder) return null;
    if ('tokenId' in holder) {
      const t = asToken(await tokenById(db, holder.tokenId));
      return t ? { principal: t } : null;
    }
    const user = await db
      .selectFrom('users')
      .select(['id', 'email', 'name'])
      .where('id', '=', holder.userId)
      .executeTakeFirst();
    if (!user) return null;
    // The session it was taken under, so the socket ends with it (teams/access/live-admission.ts).
    const principal: Principal = { type: 'user', ...user, sessionId: holder.sessionId, csrfToken: '', user };
    return { principal, workspace: holder.workspaceId };
  }

  /** Who the request is: Bearer first (cookies then ignored), else the session cookie. */
  async function identify(
    request: FastifyRequest,
    urlCredentials: boolean,
  ): Promise<{ principal: Principal; workspace?: string; cookie?: { markDue: boolean } } | null> {
    const header = bearer(request);
    if (header) {
      const t = await token(header);
      return t ? { principal: t } : null;
    }
    if (urlCredentials) {
      const ticket = queryValue(request, 'ticket');
      const legacy = queryValue(request, 'token');
      if (!ticket && !legacy) return null;
      checkOrigin(request);
      if (ticket) return fromTicket(ticket);
      const t = legacy ? await token(legacy) : null;
      return t ? { principal: t } : null;
    }
    const secret = request.cookies[SESSION_COOKIE];
    if (!secret) return null;
    const found = await findSession(db, secret);
    if (!found) return null;
    const { markDue, ...session } = found;
    return { principal: { type: 'user', ...session.user, ...session }, cookie: { markDue } };
  }

  function checkCsrf(request: FastifyRequest, csrfToken: string) {
    if (SAFE_METHODS.has(request.method)) return;
    const sent = request.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !sameSecret(sent, csrfToken))
      throw new CsrfError('a request made with the session cookie needs its X-CSRF-Token header');
  }

  function askedWorkspace(request: FastifyRequest, url: string): string | null {
    if (/^\/api\/workspaces\/:id(\/|$)/.test(url)) return (request.params as { id: string }).id;
    const header = request.headers['x-waymark-workspace'];
    return typeof header === 'string' && header.length > 0 ? header : null;
  }

  function neededFor(request: FastifyRequest, url: string, principal: Principal): RoutePermission {
    // Any member may remove themselves.
    if (url === '/api/workspaces/:id/members/:userId' && request.method === 'DELETE') {
      const { userId } = request.params as { userId: string };
      if (principal.type === 'user' && userId === principal.id) return 'authenticated';
    }
    return routePermission(request.method, url);
  }

  /**
   * `workspaceField` unset: the permission is checked in the request's workspace. Set: only
   * once the body is parsed, in the workspace it names, which becomes the request's — unless
   * no workspace it could name grants it, when the request's workspace's refusal is kept for
   * a body that cannot be read.
   */
  const authenticate =
    (url: string, urlCredentials: boolean, workspaceField: string | undefined): onRequestHookHandler =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const found = await app.checkSecret(request, () => identify(request, urlCredentials));
      if (!found) return sendError(reply, 'unauthorized', 'a valid API token or session is required');
      const { principal } = found;
      if (found.cookie && principal.type === 'user') {
        checkCsrf(request, principal.csrfToken);
        refuseOtherSite(request);
        // Only now: a refused request is no use of the session.
        if (found.cookie.markDue) await markSessionUsed(db, principal.sessionId);
      }
      request.principal = principal;
      if (principal.type === 'token') request.tokenId = principal.id;
      request.standing = await resolveStanding(db, principal, found.workspace ?? askedWorkspace(request, url));
      const needed = neededFor(request, url, principal);
      if (!workspaceField) authorize(principal, request.standing, needed);
      else if (!(await heldSomewhere(db, principal, request.standing, needed))) {
        try {
          authorize(principal, request.standing, needed);
        } catch (refusal) {
          request.refusedWhateverTheBody = refusal as Error;
        }
      }
    };

  // What stops the body being read (fastify's parsers, its body limit) comes before preValidation.
  const refuseUnreadBody = (error: Error, request: FastifyRequest) => {
    throw request.refusedWhateverTheBody ?? error;
  };

  // Before the body's schema is checked, so a missing permission still answers 403 before a 400.
  const authorizeInBodyWorkspace =
    (url: string, field: string): preValidationHookHandler =>
    async (request: FastifyRequest) => {
      request.refusedWhateverTheBody = null;
      const principal = request.principal as Principal;
      const named = (request.body as Record<string, unknown> | null | undefined)?.[field];
      if (typeof named === 'string' && named !== request.standing.workspace?.id)
        request.standing = await resolveStanding(db, principal, named);
      authorize(principal, request.standing, neededFor(request, url, principal));
    };

  app.addHook('onRoute', (route) => {
    documentPermission(route);
    if (!route.url.startsWith('/api/')) return;
    const own = listOf(route.onRequest);
    if (isPublicRoute(route)) {
      if (!/^\/api\/(auth|invitations)\//.test(route.url)) return;
      const origin: onRequestHookHandler = async (request) => app.checkOwnOrigin(request);
      route.onRequest = [origin, ...own];
      return;
    }
    const field = route.config?.workspaceField;
    route.onRequest = [authenticate(route.url, route.config?.urlCredentials === true, field), ...own];
    if (field) {
      route.preValidation = [authorizeInBodyWorkspace(route.url, field), ...listOf(route.preValidation)];
      // Rethrown, so the app's error handler answers it in the one shape.
      route.errorHandler ??= refuseUnreadBody;
    }
  });
});
