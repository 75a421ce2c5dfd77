import type { FastifyInstance, FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { documentErrorAnswer } from '../schemas/errors.js';
import { heldChecks, type Limiter, overLimit } from './check-places.js';

/** API.md "Auth": more than 20 failed authentications a minute from one address → 429. */
const FAILED_AUTH_MAX = 20;
const FAILED_AUTH_WINDOW_MS = 60_000;

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Runs `check` of a guessable secret (an API token, a session, a password, the metrics
     * token) as one step with its count: it first takes one of the places the address has left
     * under the limit — waiting while checks under way hold them all, throwing 429 once failures
     * fill them — and a null answer counts as a failure before the place is given back, whether
     * or not the client is still there (a check that throws gives it back uncounted). Guesses
     * sent at once, or dropped while checked, are so held to the limit; right ones past it only
     * wait a moment.
     */
    checkSecret<T>(request: FastifyRequest, check: () => Promise<T | null>): Promise<T | null>;
    /**
     * `checkSecret` for a `/hooks/` route's secret or signature, under the hooks' own limit:
     * `check` runs holding one of the places the address has left (waiting while checks under
     * way hold them all, 429 once failures fill them), and an answer `failed` says is a failure
     * counts before the place is given back. Only the check holds it, not the request: a
     * sender's right calls sent at once wait for one another a moment at most, and are never
     * refused for one another while the address's failures stay under the limit.
     */
    checkHookSecret<T>(
      request: FastifyRequest,
      check: () => T | Promise<T>,
      failed: (answer: T) => boolean,
    ): Promise<T>;
    /**
     * Throws 429 while the address's failures fill the limit, counting nothing and holding no
     * place: for a route that may check no secret (an invitation accepted by a new user) but
     * is refused past the limit like any credential.
     */
    refuseFailedAuth(request: FastifyRequest): Promise<void>;
  }
}

/** A route's hooks of one kind as a list (fastify takes one or an array). */
export const listOf = <T>(hooks: T | T[] | undefined): T[] => (hooks ? (Array.isArray(hooks) ? hooks : [hooks]) : []);

/** Throws 429 while the address is over `limiter`'s limit, counting nothing. */
async function refuseOver(limiter: Limiter, request: FastifyRequest): Promise<void> {
  const seen = await limiter(request, { increment: false });
  if (!seen.isAllowed && seen.remaining === 0) throw overLimit(seen.ttlInSeconds);
}

/**
 * The per-address limits on failed authentications (API.md "Auth", per process), two of
 * them. One for the credentials people and scripts sign in with — the API token or session
 * on `/api` routes, passwords, the metrics token — through the decorations below. One for
 * every `/hooks/` route: a webhook's secret or signature can be guessed like a token (API.md:
 * 401 for a wrong token or webhook secret; past 20 failed authentications a minute, 429 even
 * for a right one), so journey, provider and inbound-mail hooks count their 401s and are
 * refused past the address's limit. Webhooks authenticate by their own secrets, never by the
 * admin token (API.md), so failures at one never refuse the other: a scraper with a wrong
 * metrics token does not stop a sender's webhooks from the same address.
 *
 * Guesses sent at once are held to both limits. Every token, session, password and metrics
 * token is checked through `checkSecret`, which holds one of the places the address has left
 * only while it checks and counts a failure before giving it back: not the request, so a
 * client that hangs up while its password is checked frees no place before its failure
 * counts, and a request that ends otherwise (aborted before its check, a route that throws)
 * holds none. Each hook route checks its secret or signature through `checkHookSecret`
 * (core.webhook's secret, a package trigger's handler, a provider's signatures, the
 * inbound-mail secret), the same under the hooks' limit. A 401 no check counted (a hook route without one) still counts as it is
 * sent (onSend, which comes also when the client has gone: at onResponse it would not).
 */
export const failedAuthPlugin = fp(async (app: FastifyInstance) => {
  const failures = app.createRateLimit({ max: FAILED_AUTH_MAX, timeWindow: FAILED_AUTH_WINDOW_MS });
  const hookFailures = app.createRateLimit({ max: FAILED_AUTH_MAX, timeWindow: FAILED_AUTH_WINDOW_MS });
  const auth = heldChecks(failures);
  app.decorate('checkSecret', <T>(request: FastifyRequest, check: () => Promise<T | null>) =>
    auth(request, check, (found) => found === null),
  );
  app.decorate('refuseFailedAuth', (request: FastifyRequest) => refuseOver(failures, request));

  const hooks = heldChecks(hookFailures);
  // The calls whose failure a check counted: their 401 is not counted again.
  const counted = new WeakSet<FastifyRequest>();
  app.decorate(
    'checkHookSecret',
    <T>(request: FastifyRequest, check: () => T | Promise<T>, failed: (answer: T) => boolean) =>
      hooks(request, check, (answer) => {
        const failure = failed(answer);
        if (failure) counted.add(request);
        return failure;
      }),
  );
  const hookLimit: onRequestHookHandler = async (request) => refuseOver(hookFailures, request);
  const hookFailure: onSendHookHandler = async (request, reply, payload) => {
    if (reply.statusCode === 401 && !counted.has(request)) await hookFailures(request);
    return payload;
  };
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/hooks/')) return;
    route.onRequest = [hookLimit, ...listOf(route.onRequest)];
    route.onSend = [hookFailure, ...listOf(route.onSend)];
    documentErrorAnswer(route, 429);
  });
});
