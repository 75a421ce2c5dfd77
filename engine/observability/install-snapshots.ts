import type { Logger } from 'pino';
import { type InstallSnapshot, SNAPSHOT_MAX_AGE_MS } from './install-gauges.js';

/**
 * How long a scrape waits for the installation snapshot. Without a bound a lost database
 * held every scrape for the pool's connection timeout (5 s) or a statement's (60 s), past
 * Prometheus's default scrape timeout (10 s), and the scrape lost every metric, not only these.
 */
export const INSTALL_READ_WAIT_MS = 3_000;

interface Read {
  at: number;
  /** The snapshot, once the read brought it. */
  value: InstallSnapshot | null;
  /** The read's answer, or null once INSTALL_READ_WAIT_MS passed: every gauge of a scrape waits on this one. */
  answer: Promise<InstallSnapshot | null>;
}

/**
 * The installation snapshot as scrapes see it: read at most every SNAPSHOT_MAX_AGE_MS by one
 * read that all the installation gauges share, and waited for at most INSTALL_READ_WAIT_MS.
 * `null` when the database cannot give it now: the database watch finds it unreachable (then
 * nothing is read and the scrape answers at once), the read failed, or it is still under way
 * past the bound.
 *
 * @example
 * const snapshots = new InstallSnapshots({ read: () => readInstallSnapshot(db), reachable: () => health.ok, logger });
 * const snapshot = await snapshots.current(); // null: leave the installation gauges out
 */
export class InstallSnapshots {
  #last: Read | null = null;

  constructor(
    private readonly source: {
      read: () => Promise<InstallSnapshot>;
      /** The database watch's verdict (`DatabaseHealth.ok`). */
      reachable: () => boolean;
      logger: Logger;
    },
  ) {}

  current(): Promise<InstallSnapshot | null> {
    if (!this.source.reachable()) return Promise.resolve(null);
    const now = Date.now();
    if (!this.#last || now - this.#last.at >= SNAPSHOT_MAX_AGE_MS) this.#last = this.#start(now);
    return this.#last.value ? Promise.resolve(this.#last.value) : this.#last.answer;
  }

  #start(at: number): Read {
    const read: Read = { at, value: null, answer: Promise.resolve(null) };
    let timer: NodeJS.Timeout | undefined;
    const done = this.source.read().then(
      (snapshot) => {
        read.value = snapshot;
        return snapshot;
      },
      (error: unknown) => {
        this.source.logger.warn({ err: error }, 'the installation gauges could not be read; left out of the metrics');
        // Not kept: the next scrape reads again.
        if (this.#last === read) this.#last = null;
        return null;
      },
    );
    const bound = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), INSTALL_READ_WAIT_MS);
      timer.unref();
    });
    read.answer = Promise.race([done, bound]).finally(() => clearTimeout(timer));
    return read;
  }
}
