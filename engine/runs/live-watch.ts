import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import { newId } from '../db/ids.js';

/** How long a watcher's row counts without being refreshed: a process that died stops counting then. */
export const WATCH_TTL_MS = 60_000;

/**
 * A process's say that it has live-feed clients: while it watches, its row in `live_watchers`
 * stays fresh and every process's steps send their notices (`waymark_notify_steps`,
 * migrations/0049); with no watcher anywhere, none are sent. Starting waits until the row is
 * committed, so the steps that finish after it are the ones a new client sees.
 *
 * @example
 * const watch = new LiveWatch(db);
 * await watch.start(); // a first client connected
 * await watch.stop(); // the last one left
 */
export class LiveWatch {
  readonly #id = newId();
  #refresh: NodeJS.Timeout | null = null;
  // Starts and stops one after another: a stop's delete never lands after a later start's mark.
  #last: Promise<void> = Promise.resolve();

  constructor(private readonly db: Kysely<Database>) {}

  start(): Promise<void> {
    return this.#then(async () => {
      if (!this.#refresh) {
        this.#refresh = setInterval(() => void this.#mark().catch(() => {}), WATCH_TTL_MS / 3);
        this.#refresh.unref();
        // The rows of processes that died watching count no more; they go here.
        await sql`delete from live_watchers where until < now()`.execute(this.db);
      }
      await this.#mark();
    });
  }

  stop(): Promise<void> {
    return this.#then(async () => {
      if (!this.#refresh) return;
      clearInterval(this.#refresh);
      this.#refresh = null;
      await sql`delete from live_watchers where id = ${this.#id}`.execute(this.db);
    });
  }

  #then(step: () => Promise<void>): Promise<void> {
    const done = this.#last.then(step);
    this.#last = done.catch(() => {});
    return done;
  }

  async #mark(): Promise<void> {
    await sql`
      insert into live_watchers (id, until) values (${this.#id}, now() + ${`${WATCH_TTL_MS} milliseconds`}::interval)
      on conflict (id) do update set until = excluded.until`.execute(this.db);
  }
}
