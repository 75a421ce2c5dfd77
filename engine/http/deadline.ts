import { RetryableError } from '@waymark/sdk';

/**
 * The one `timeout` of a request, counted from its start: every hop's DNS lookup, connection
 * and answer spend from it. A lookup outside it let a slow resolver hold a step far past it.
 */
export interface Deadline {
  /** The timeout as given, for messages. */
  readonly ms: number;
  /** When it ends, on `performance.now()`'s clock (immune to wall-clock steps). */
  readonly endsAt: number;
}

export const deadlineIn = (ms: number): Deadline => ({ ms, endsAt: performance.now() + ms });

/** Milliseconds left, never below zero. */
export const remainingMs = (deadline: Deadline): number => Math.max(0, deadline.endsAt - performance.now());

/** The timeout's error: retried, as any timeout is (NODES.md). `what` did not happen in time. */
export const timedOut = (what: string, deadline: Deadline): RetryableError =>
  new RetryableError(`${what} within ${deadline.ms} ms`, { code: 'http.timeout' });

/**
 * `work`, or `timedOut(what)` when the deadline comes first. The work itself goes on (a
 * `dns.lookup` cannot be cancelled) and its late result is dropped.
 */
export async function beforeDeadline<T>(work: Promise<T>, deadline: Deadline, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut(what, deadline)), remainingMs(deadline));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
