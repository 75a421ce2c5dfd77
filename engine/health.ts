import pg from 'pg';
import type { Logger } from 'pino';

/** What `/healthz` says while the database cannot be reached: never the error's own text. */
export const DATABASE_UNREACHABLE = 'database unreachable';

/**
 * How long one look (a connection if none is open, then `select 1`) waits for the database's
 * answer. Two silent looks after up to one interval make 3.4 s, which leaves a stalled timer's
 * restart room inside API.md's 5 s on a loaded machine (1.5 s made 4 s, and 5.6 s with one).
 */
const ANSWER_MS = 1200;

/** A timer's lateness past which the event loop, not the database, is taken to have been silent. */
const STALL_MS = 100;

/** How many times in one look a stalled event loop starts the wait over. */
const STALL_RESTARTS = 3;

class SilenceError extends Error {
  constructor() {
    super(`database did not answer within ${ANSWER_MS} ms`);
  }
}

/**
 * Rejects with a SilenceError once the database has had `ms` of this process's attention. An
 * event loop held by other work (a long template render) delays this timer and the reading of
 * the answer alike, and took a busy process for a silent database (routes answered 503): a
 * timer that fires late waits again as long as it was late (a few times: a loop stalled for good
 * is not the database's doing, but must not hide its silence), and one on time lets the answers
 * already received be read first (setImmediate runs after the poll phase).
 */
function silenceAfter(ms: number): { heard: Promise<never>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const heard = new Promise<never>((_, reject) => {
    const arm = (restarts: number, wait: number) => {
      const due = Date.now() + wait;
      timer = setTimeout(() => {
        // The database is given back the attention the stall took, not a whole wait again: on a
        // loaded machine a timer 100–200 ms late is common, and each full restart added 1.2 s.
        const late = Date.now() - due;
        if (late > STALL_MS && restarts < STALL_RESTARTS) return arm(restarts + 1, Math.min(late, ms));
        immediate = setImmediate(() => reject(new SilenceError()));
      }, wait);
    };
    arm(0, ms);
  });
  // Heard only when it wins a race; otherwise cancelled, and nobody waits on it.
  heard.catch(() => {});
  return {
    heard,
    cancel: () => {
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
    },
  };
}

/**
 * Watches the database with its own connection, so that `/healthz` and the routes answer
 * 503 within seconds of losing it even when the pool is busy, and recover without a restart.
 * `reason` is safe to show anyone; the error itself goes only to the log, once per outage.
 */
export class DatabaseHealth {
  ok = true;
  reason: string | null = null;
  #client: pg.Client | null = null;
  #timer: NodeJS.Timeout | null = null;
  #checking = false;
  /** Looks in a row that got no answer in time. */
  #silences = 0;

  constructor(
    private readonly connectionString: string,
    private readonly intervalMs = 1000,
    private readonly logger?: Logger,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.check(), this.intervalMs);
    this.#timer.unref();
  }

  /**
   * Looks once. A refused or broken connection counts at once; a look that merely gets no
   * answer within ANSWER_MS is repeated straight away, and only a second silence in a row
   * counts, so a busy machine (a slow `select 1`) does not turn every route into 503s while a
   * silent database is still reported within 5 s.
   */
  async check(): Promise<boolean> {
    if (this.#checking) return this.ok;
    this.#checking = true;
    let again = false;
    try {
      const silence = silenceAfter(ANSWER_MS);
      try {
        if (!this.#client) {
          const client = new pg.Client({ connectionString: this.connectionString });
          client.on('error', () => {
            if (this.#client === client) this.#client = null;
          });
          // Kept before it connects, so that a look that hears nothing ends it (below).
          this.#client = client;
          await Promise.race([client.connect(), silence.heard]);
        }
        await Promise.race([this.#client.query('select 1'), silence.heard]);
      } finally {
        silence.cancel();
      }
      if (!this.ok) this.logger?.info('database reachable again');
      this.ok = true;
      this.reason = null;
      this.#silences = 0;
    } catch (error) {
      const client = this.#client;
      this.#client = null;
      client?.end().catch(() => {});
      const silent = error instanceof SilenceError || /timeout/i.test(String((error as Error)?.message));
      this.#silences = silent ? this.#silences + 1 : 2;
      if (this.#silences >= 2) {
        if (this.ok) this.logger?.warn({ err: error }, DATABASE_UNREACHABLE);
        this.ok = false;
        this.reason = DATABASE_UNREACHABLE;
      } else again = true;
    } finally {
      this.#checking = false;
    }
    return again ? this.check() : this.ok;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }
}
