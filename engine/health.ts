import pg from 'pg';
import type { Logger } from 'pino';

/** What `/healthz` says while the database cannot be reached: never the error's own text. */
export const DATABASE_UNREACHABLE = 'database unreachable';

/** How long one look waits for the database's answer. */
const ANSWER_MS = 1500;

class SilenceError extends Error {
  constructor() {
    super(`database did not answer within ${ANSWER_MS} ms`);
  }
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
      if (!this.#client) {
        const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: ANSWER_MS });
        client.on('error', () => {
          if (this.#client === client) this.#client = null;
        });
        await client.connect();
        this.#client = client;
      }
      await Promise.race([
        this.#client.query('select 1'),
        new Promise((_, reject) => setTimeout(() => reject(new SilenceError()), ANSWER_MS)),
      ]);
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
