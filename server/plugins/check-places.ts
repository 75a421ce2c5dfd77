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
 * The places each address has for checks of guessable secrets: as many as the failures it
 * may still have under `failures`' limit, in this process (like the limit). A check holds a
 * place from before its secret is looked at until its failure, if any, is counted, so no more
 * checks run at once than could fail within the limit. Reading the count and taking the place
 * are one step: nothing awaits between them.
 */
export function checkPlaces(failures: Limiter) {
  const held = new Map<string, Held>();

  function giveBack(key: string) {
    const h = held.get(key);
    if (!h) return;
    h.count -= 1;
    if (h.count <= 0) held.delete(key);
    // All of them: each looks again, and those the failures now fill the limit for get 429.
    for (const wake of h.waiting.splice(0)) wake();
  }

  /**
   * A place for one check, given back by the function returned (once, however often it is
   * called). Throws 429 while the address's failures fill its limit; while checks under way
   * hold the places left, waits for one of them to end.
   */
  async function take(request: FastifyRequest): Promise<() => void> {
    for (;;) {
      const seen = await failures(request, { increment: false });
      if (seen.isAllowed) return () => {}; // an allow-listed address (none is configured)
      if (seen.remaining === 0) throw overLimit(seen.ttlInSeconds);
      const h = held.get(seen.key) ?? { count: 0, waiting: [] };
      if (h.count < seen.remaining) {
        h.count += 1;
        held.set(seen.key, h);
        let given = false;
        return () => {
          if (given) return;
          given = true;
          giveBack(seen.key);
        };
      }
      await new Promise<void>((resolve) => h.waiting.push(resolve));
    }
  }

  return { take };
}
