import pg from 'pg';
import type { Logger } from 'pino';

type Handler = (payload: unknown) => void;

/**
 * One LISTEN connection per process, fanned out to any number of subscribers by channel.
 * Reconnects (and LISTENs again) when the connection drops.
 *
 * @example
 * const listener = new NotificationListener(databaseUrl, logger);
 * const off = listener.on('waymark_steps', (step) => ...);
 */
export class NotificationListener {
  readonly #handlers = new Map<string, Set<Handler>>();
  #client: pg.Client | null = null;
  #connecting: Promise<void> | null = null;
  #closed = false;
  #retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly connectionString: string,
    private readonly logger: Logger,
  ) {}

  /** Subscribes to a channel; returns the unsubscribe function. */
  on(channel: string, handler: Handler): () => void {
    let set = this.#handlers.get(channel);
    if (!set) {
      set = new Set();
      this.#handlers.set(channel, set);
      if (this.#client) void this.#client.query(`listen "${channel}"`).catch(() => {});
    }
    set.add(handler);
    void this.ready();
    return () => set.delete(handler);
  }

  /** Resolves once the connection listens (best effort: errors schedule a reconnect). */
  ready(): Promise<void> {
    if (this.#client || this.#closed) return Promise.resolve();
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: 5000 });
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    client.on('notification', (message) => {
      const set = this.#handlers.get(message.channel);
      if (!set?.size) return;
      let payload: unknown;
      try {
        payload = JSON.parse(message.payload ?? 'null');
      } catch {
        return;
      }
      for (const handler of set) handler(payload);
    });
    try {
      await client.connect();
      for (const channel of this.#handlers.keys()) await client.query(`listen "${channel}"`);
      if (this.#closed) {
        await client.end();
        return;
      }
      this.#client = client;
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'LISTEN connection failed; retrying');
      await client.end().catch(() => {});
      this.#schedule();
    }
  }

  #lost(client: pg.Client) {
    if (this.#client !== client) return;
    this.#client = null;
    this.#schedule();
  }

  #schedule() {
    if (this.#closed || this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      void this.ready();
    }, 2000);
    this.#retry.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    await this.#connecting;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }
}
