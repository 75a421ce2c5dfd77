import { RateLimitedError } from '@waymark/sdk';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** A per-address limit of @fastify/rate-limit (`app.createRateLimit`). */
export type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

export const overLimit = (seconds: number) =>
  new RateLimitedError('too many failed authentications from this address', Math.max(1, seconds));

/** The checks of one address under way, and who waits for one of them to end. */
interface Held {
  count: number;
  waiting: (() => void)[];
}

/**
 * Checks of guessable secrets held to `failures`' limit when they come at once. Each address
 * has as many places as the failures it may still have under the limit, in this process (like
 * the limit). A check holds a place from before its secret is looked at until its failure, if
 * any, is counted (`failed` says which answers are failures), so no more checks run at once
 * than could fail within the limit, whether or not their clients are still there. A check that
 * throws gives its place back uncounted. Throws 429 once the address's failures fill its
 * limit; while checks under way hold the places left, waits for one of them to end. Reading
 * the count and taking the place are one step: nothing awaits between them.
 *
 * @example
 * const check = heldChecks(app.createRateLimit({ max: 20, timeWindow: 60_000 }));
 * const principal = await check(request, () => findToken(db, secret), (found) => found === null);
 */
export function heldChecks(failures: Limiter) {
  const held = new Map<string, Held>();

  function giveBack(key: string) {
    const h = held.get(key);
    if (!h) return;
    h.count -= 1;
    if (h.count <= 0) held.delete(key);
    // All of them: each looks again, and those the failures now fill the limit for get 429.
    for (const wake of h.waiting.splice(0)) wake();
  }

  /** Takes a place for one check: the address's key (null: an allow-listed address, no place). */
  async function take(request: FastifyRequest): Promise<string | null> {
    for (;;) {
      const seen = await failures(request, { increment: false });
      if (seen.isAllowed) return null; // an allow-listed address (none is configured)
      if (seen.remaining === 0) throw overLimit(seen.ttlInSeconds);
      const h = held.get(seen.key) ?? { count: 0, waiting: [] };
      if (h.count < seen.remaining) {
        h.count += 1;
        held.set(seen.key, h);
        return seen.key;
      }
      await new Promise<void>((resolve) => h.waiting.push(resolve));
    }
  }

  return async <T>(request: FastifyRequest, run: () => T | Promise<T>, failed: (answer: T) => boolean): Promise<T> => {
    const key = await take(request);
    try {
      const answer = await run();
      // Counted before the place is given back, so whoever waits for it sees the failure.
      if (failed(answer)) await failures(request);
      return answer;
    } finally {
      if (key !== null) giveBack(key);
    }
  };
}
