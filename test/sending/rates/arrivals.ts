import { eventually } from '../../engine/support.js';
import type { StandIn } from '../stand-in.js';

/** The Postmark requests for `prefix`'s addresses as they arrived at the stand-in, once all `count` have. */
export async function arrivals(
  server: StandIn,
  prefix: string,
  count: number,
): Promise<Array<{ to: string; at: number }>> {
  return eventually(async () => {
    const mine = server.requests
      .map((r) => ({ to: String((JSON.parse(r.body) as { To?: string }).To ?? ''), at: r.at }))
      .filter((r) => r.to.startsWith(prefix));
    return mine.length >= count ? mine : undefined;
  }, 60_000);
}

/** The most arrivals any sliding window of `windowMs` holds (times in arrival order). */
export function busiestWindow(times: readonly number[], windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while ((times[j] as number) - (times[i] as number) >= windowMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}
