import pg from 'pg';
import type { Logger } from 'pino';

/** What `/healthz` says while the database cannot be reached: never the error's own text. */
export const DATABASE_UNREACHABLE = 'database unreachable';

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

  constructor(
    private readonly connectionString: string,
    private readonly intervalMs = 1000,
    private readonly logger?: Logger,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.check(), this.intervalMs);
    this.#timer.unref();
  }

  async check(): Promise<boolean> {
    if (this.#checking) return this.ok;
    this.#checking = true;
    try {
      if (!this.#client) {
        const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: 2000 });
        client.on('error', () => {
          if (this.#client === client) this.#client = null;
        });
        await client.connect();
        this.#client = client;
      }
      await Promise.race([
        this.#client.query('select 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('database did not answer within 2 s')), 2000)),
      ]);
      if (!this.ok) this.logger?.info('database reachable again');
      this.ok = true;
      this.reason = null;
    } catch (error) {
      if (this.ok) this.logger?.warn({ err: error }, DATABASE_UNREACHABLE);
      this.ok = false;
      this.reason = DATABASE_UNREACHABLE;
      const client = this.#client;
      this.#client = null;
      client?.end().catch(() => {});
    } finally {
      this.#checking = false;
    }
    return this.ok;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }
}
