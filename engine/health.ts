import pg from 'pg';

/**
 * Watches the database with its own connection, so that `/healthz` and the routes answer
 * 503 within seconds of losing it even when the pool is busy, and recover without a restart.
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
      this.ok = true;
      this.reason = null;
    } catch (error) {
      this.ok = false;
      this.reason = `database unreachable: ${error instanceof Error ? error.message : String(error)}`;
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
