import type { Runtime } from '../runtime.js';
import { enforceAllRetention } from './enforce.js';

/** How often each worker tries to enforce retention (one at a time does, under a lock). */
export const RETENTION_EVERY_MS = 60 * 60_000;
const FIRST_AFTER_MS = 60_000;

/**
 * A worker's retention timer: a minute after start, then every hour, enforce every
 * workspace's settings (each its own) unless another process is at it. Failures are logged
 * and tried again next time.
 */
export function scheduleRetention(runtime: Runtime): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = enforceAllRetention(runtime.db, { wait: false }).catch((error) =>
      runtime.logger.error({ err: error }, 'retention could not be enforced; trying again in an hour'),
    );
  };
  const first = setTimeout(tick, FIRST_AFTER_MS);
  const every = setInterval(tick, RETENTION_EVERY_MS);
  first.unref();
  every.unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(every);
      await running;
    },
  };
}
