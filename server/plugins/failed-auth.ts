import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { documentErrorAnswer } from '../schemas/errors.js';
import { checkPlaces, type Limiter, overLimit } from './check-places.js';

/** API.md "Auth": more than 20 failed authentications a minute from one address → 429. */
const FAILED_AUTH_MAX = 20;
const FAILED_AUTH_WINDOW_MS = 60_000;

declare module 'fastify' {
  interface FastifyInstance {
    /** Counts a failed authentication (a wrong password) against the address; throws 429 when over. */
    countFailedAuth(request: FastifyRequest): Promise<void>;
    /**
     * Runs `check` of a guessable secret (an API token, a session, a current password) as one
     * step with its count: it first takes one of the places the address has left under the
     * limit — waiting while checks under way hold them all, throwing 429 once failures fill
     * them — and a null answer counts as a failure before the place is given back. Guesses
     * sent at once are so held to the limit; right ones past it only wait a moment.
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
     * Before a guessable secret is checked (a password, the metrics token): throws 429 while
     * the address's failures and its checks still under way make the limit, else holds one
     * place until the answer is sent (a failure then counts by `countFailedAuth`). Guesses sent
     * at once are so held to the limit, not all checked before the first failure counts.
     */
    holdFailedAuth(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  }
  interface FastifyRequest {
    /** Gives back the place `holdFailedAuth` took (at the answer, or when the client leaves). */
    releaseHeldAuth: (() => void) | null;
  }
}

/** A route's hooks of one kind as a list (fastify takes one or an array). */
export const listOf = <T>(hooks: T | T[] | undefined): T[] => (hooks ? (Array.isArray(hooks) ? hooks : [hooks]) : []);

/**
 * Runs a check of a secret holding one of `limiter`'s places for the address (`checkPlaces`);
 * an answer `failed` says is a failure is counted on `limiter` before the place is given back,
 * so whoever waits for it sees the failure.
 */
function heldChecks(limiter: Limiter) {
  const places = checkPlaces(limiter);
  const check = async <T>(
    request: FastifyRequest,
    run: () => T | Promise<T>,
    failed: (answer: T) => boolean,
  ): Promise<T> => {
    const release = await places.take(request, true);
    try {
      const answer = await run();
      if (failed(answer)) await limiter(request);
      return answer;
    } finally {
      release();
    }
  };
  return { places, check };
}

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
 * Guesses sent at once are held to both limits: each hook route checks its secret or
 * signature through `checkHookSecret` (core.webhook's secret, a package trigger's handler,
 * a provider's signatures, the inbound-mail secret), which holds one of the places the
 * address has left under the hooks' limit only while it checks, and counts a failure before
 * giving it back. A 401 no check counted (a hook route without one) still counts as it is
 * sent (onSend, which comes also when the client has gone: at onResponse it would not).
 */
export const failedAuthPlugin = fp(async (app: FastifyInstance) => {
  const failures = app.createRateLimit({ max: FAILED_AUTH_MAX, timeWindow: FAILED_AUTH_WINDOW_MS });
  const hookFailures = app.createRateLimit({ max: FAILED_AUTH_MAX, timeWindow: FAILED_AUTH_WINDOW_MS });
  app.decorateRequest('releaseHeldAuth', null);
  app.decorate('countFailedAuth', async (request: FastifyRequest) => {
    await failures(request);
  });
  const auth = heldChecks(failures);
  app.decorate('checkSecret', <T>(request: FastifyRequest, check: () => Promise<T | null>) =>
    auth.check(request, check, (found) => found === null),
  );
  app.decorate('holdFailedAuth', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.releaseHeldAuth) return;
    request.releaseHeldAuth = await auth.places.take(request, false);
    // Whether the answer is sent or the client goes away first (the request's own 'close'
    // comes as soon as its body is read: too early).
    reply.raw.once('close', request.releaseHeldAuth);
  });
  app.addHook('onResponse', async (request) => request.releaseHeldAuth?.());

  const hooks = heldChecks(hookFailures);
  // The calls whose failure a check counted: their 401 is not counted again.
  const counted = new WeakSet<FastifyRequest>();
  app.decorate(
    'checkHookSecret',
    <T>(request: FastifyRequest, check: () => T | Promise<T>, failed: (answer: T) => boolean) =>
      hooks.check(request, check, (answer) => {
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
