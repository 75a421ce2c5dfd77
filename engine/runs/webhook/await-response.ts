import type { JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.js';
import type { CompiledVersion } from '../versions.js';

/** What a `core.respond` step answered. */
export interface WebhookResponse {
  status: number;
  body: JsonObject;
}

/** The longest a webhook call may ask to wait for its run's answer. */
export const MAX_WAIT_SECONDS = 30;

/** The `core.respond` nodes of a version: a call can only wait for a journey that has one. */
export function respondNodesOf(version: CompiledVersion): string[] {
  return version.graph.nodes.filter((n) => n.type === 'core.respond').map((n) => n.id);
}

/**
 * The seconds of an RFC 7240 `Prefer: wait=<seconds>` header, capped at MAX_WAIT_SECONDS;
 * null when the header asks for no wait.
 */
export function preferredWait(header: string | undefined): number | null {
  const match = header ? /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(header) : null;
  if (!match?.[1]) return null;
  const seconds = Number(match[1]);
  return seconds > 0 ? Math.min(seconds, MAX_WAIT_SECONDS) : null;
}

interface Waiter {
  runId: string;
  nodeIds: readonly string[];
  until: number;
  /** The pause before this waiter's next look: 5 ms, doubling up to 100 ms. */
  pause: number;
  due: number;
  resolve(response: WebhookResponse | null): void;
  reject(error: unknown): void;
}

/**
 * Waits for runs to complete one of `nodeIds` (their first `core.respond`). Holds no
 * database connection while calls wait: every waiting call of the process shares one loop
 * that looks for all of them in one indexed read, so at most one connection is in use for
 * any number of waiting calls. Each call is looked at with a growing pause (at once, then
 * 5 ms up to 100 ms).
 *
 * @example
 * const responses = new ResponseAwaiter(db);
 * const answer = await responses.wait(runId, ['respond'], 5000); // null: answer 202 as usual
 */
export class ResponseAwaiter {
  readonly #waiters = new Set<Waiter>();
  #running = false;
  #wake: (() => void) | null = null;

  constructor(private readonly db: Kysely<Database>) {}

  /** The step's answer; null when the run ends without one or `waitMs` passes first. */
  wait(runId: string, nodeIds: readonly string[], waitMs: number): Promise<WebhookResponse | null> {
    return new Promise((resolve, reject) => {
      const now = Date.now();
      this.#waiters.add({ runId, nodeIds, until: now + waitMs, pause: 5, due: now, resolve, reject });
      if (this.#running) this.#wake?.();
      else void this.#poll();
    });
  }

  async #poll(): Promise<void> {
    this.#running = true;
    try {
      while (this.#waiters.size) {
        const next = Math.min(...[...this.#waiters].map((w) => w.due));
        const delay = next - Date.now();
        if (delay > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, delay);
            this.#wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.#wake = null;
        }
        const batch = [...this.#waiters].filter((w) => w.due <= Date.now());
        if (batch.length) await this.#look(batch);
      }
    } finally {
      this.#running = false;
    }
  }

  async #look(batch: Waiter[]): Promise<void> {
    const wanted = JSON.stringify(batch.map((w) => ({ run_id: w.runId, node_ids: w.nodeIds })));
    let rows: { run_id: string; output: WebhookResponse | null; ended: boolean | null }[];
    try {
      ({ rows } = await sql<{ run_id: string; output: WebhookResponse | null; ended: boolean | null }>`
        select w.run_id::text as run_id,
               (select output from steps where run_id = w.run_id and node_id = any(w.node_ids)
                  and status = 'completed' order by seq limit 1) as output,
               (select status not in ('running', 'waiting') from runs where id = w.run_id) as ended
        from jsonb_to_recordset(${wanted}::jsonb) as w(run_id uuid, node_ids text[])
      `.execute(this.db));
    } catch (error) {
      for (const w of batch) {
        this.#waiters.delete(w);
        w.reject(error);
      }
      return;
    }
    const byRun = new Map(rows.map((row) => [row.run_id, row]));
    const now = Date.now();
    for (const w of batch) {
      const row = byRun.get(w.runId);
      if (row?.output) {
        this.#waiters.delete(w);
        w.resolve(row.output);
      } else if (row?.ended || now + w.pause > w.until) {
        this.#waiters.delete(w);
        w.resolve(null);
      } else {
        w.due = now + w.pause;
        w.pause = Math.min(w.pause * 2, 100);
      }
    }
  }
}
