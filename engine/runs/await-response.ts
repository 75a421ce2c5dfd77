import type { JsonObject } from '@waymark/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { CompiledVersion } from './versions.js';

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

/**
 * Waits for the run to complete one of `nodeIds` (its first `core.respond`) and returns that
 * step's answer; null when the run ends without one or `waitMs` passes first. Polls with a
 * growing pause (5 ms up to 100 ms): one indexed read per look.
 */
export async function awaitResponse(
  db: Kysely<Database>,
  runId: string,
  nodeIds: readonly string[],
  waitMs: number,
): Promise<WebhookResponse | null> {
  const until = Date.now() + waitMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    const { rows } = await sql<{ output: WebhookResponse | null; ended: boolean }>`
      select (select output from steps where run_id = ${runId} and node_id = any(${[...nodeIds]}::text[])
                and status = 'completed' order by seq limit 1) as output,
             (select status not in ('running', 'waiting') from runs where id = ${runId}) as ended
    `.execute(db);
    const row = rows[0];
    if (row?.output) return row.output;
    if (row?.ended || Date.now() + pause > until) return null;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
