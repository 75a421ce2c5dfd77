/** Tokens due within this long of each other share a wake-up job (migrations 0019_wake_buckets, 0036_wake_buckets_50ms). */
export const WAKE_BUCKET_MS = 50;
/** Waits due later than this are left to the worker's polling, whose delay is small beside them. */
const HORIZON_MS = 60_000;

/**
 * Wakes a worker pool when the wake-up jobs of tokens it parked (or set to retry) fall due,
 * instead of at its next poll: graphile-worker learns of a job only when it is inserted or
 * when it polls, so a two-second wait would otherwise be released up to a poll interval late.
 * One timer per bucket of due times; timers never keep the process alive.
 *
 * @example
 * const alarms = new WakeAlarms((n) => workerPool.nudge(n));
 * alarms.set([wakeAt]);
 */
export class WakeAlarms {
  #timers = new Map<number, NodeJS.Timeout>();

  constructor(private readonly wake: (jobs: number) => void) {}

  /** Arranges a wake-up when each of `times` is due (the bucket's end: its job is due by then). */
  set(times: readonly Date[]): void {
    const now = Date.now();
    for (const time of times) {
      const at = Math.floor(time.getTime() / WAKE_BUCKET_MS) * WAKE_BUCKET_MS + WAKE_BUCKET_MS;
      if (at - now > HORIZON_MS || this.#timers.has(at)) continue;
      const timer = setTimeout(
        () => {
          this.#timers.delete(at);
          this.wake(1);
        },
        Math.max(0, at - now),
      );
      timer.unref();
      this.#timers.set(at, timer);
    }
  }

  /** Cancels every pending wake-up (the worker is stopping). */
  clear(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
