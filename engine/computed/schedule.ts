import type { Task } from 'graphile-worker';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { Runtime } from '../runtime.js';
import { fireComputedTriggers } from './becomes.js';
import type { Definition } from './definition.js';
import { dependencies } from './definition.js';
import { inDependencyOrder, refreshValues, type ValueChange } from './refresh.js';
import { lockComputed } from './store.js';

export const COMPUTED_TASK = 'waymark.computed';
/** The longest the task sleeps: a new definition queues it at once anyway. */
const MAX_SLEEP_MS = 60_000;

interface Row {
  workspace_id: string;
  name: string;
  definition: Definition;
  due: boolean;
}

/** The due attributes and every attribute whose filter reads one of them, transitively. */
function withDependents(rows: Row[]): Row[] {
  const stale = new Set(rows.filter((r) => r.due).map((r) => r.name));
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows)
      if (!stale.has(r.name) && dependencies(r.definition).some((d) => stale.has(d))) {
        stale.add(r.name);
        grew = true;
      }
  }
  return rows.filter((r) => stale.has(r.name));
}

/**
 * Recomputes, set-based over all contacts, every computed attribute that is new, changed or
 * due by its `refreshEvery` (what time alone changes: windows, days passing, RFM quantiles),
 * and those that read them; marks each `ready` unless its definition changed meanwhile.
 * Answers the values that changed.
 */
export async function refreshDue(db: Kysely<Database>): Promise<ValueChange[]> {
  const { rows } = await sql<Row>`
    select workspace_id, name, definition,
      status = 'computing' or refreshed_at is null or refreshed_at + refresh_every::interval <= now() as due
    from computed_attributes order by workspace_id, name`.execute(db);
  const changes: ValueChange[] = [];
  for (const workspaceId of new Set(rows.map((r) => r.workspace_id))) {
    const mine = rows.filter((r) => r.workspace_id === workspaceId);
    for (const attr of inDependencyOrder(withDependents(mine))) {
      await db.transaction().execute(async (trx) => {
        // Under the definitions' lock, shared: a PUT or DELETE of the workspace's attributes
        // does not interleave its row writes with ours (two unordered updates of the same
        // contacts deadlocked), and one that committed while we waited is seen below.
        await lockComputed(trx, workspaceId, 'shared');
        if (!(await stillDefined(trx, workspaceId, attr))) return;
        const changed = await refreshValues(trx, attr, { workspaceId, now: new Date() });
        await fireComputedTriggers(trx, workspaceId, changed);
        changes.push(...changed);
        await sql`update computed_attributes set status = 'ready', refreshed_at = now()
          where workspace_id = ${workspaceId} and name = ${attr.name}
            and definition = ${JSON.stringify(attr.definition)}::jsonb`.execute(trx);
      });
    }
  }
  return changes;
}

/**
 * Whether the attribute is still defined as it was read: values of one deleted meanwhile
 * would be written back to every contact, and a changed one is recomputed by the next run.
 */
async function stillDefined(db: Kysely<Database>, workspaceId: string, attr: Row): Promise<boolean> {
  const { rows } = await sql<{ found: number }>`
    select 1 as found from computed_attributes
    where workspace_id = ${workspaceId} and name = ${attr.name} and definition = ${JSON.stringify(attr.definition)}::jsonb`.execute(
    db,
  );
  return rows.length > 0;
}

/**
 * Queues the refresh task (one pending job at a time thanks to the job key). `keepQueued` keeps
 * the time of a refresh already queued: the task queues its next run from what it read before a
 * definition saved meanwhile queued one for now, and replacing that put the new attribute off
 * by up to a minute.
 */
export async function queueComputedRefresh(
  db: Kysely<Database>,
  delayMs = 0,
  { keepQueued = false } = {},
): Promise<void> {
  await sql`select graphile_worker.add_job(${COMPUTED_TASK}, '{}'::json,
    run_at => now() + ${delayMs} * interval '1 millisecond', job_key => ${COMPUTED_TASK}, max_attempts => 1,
    job_key_mode => ${keepQueued ? 'preserve_run_at' : 'replace'})`.execute(db);
}

/** Milliseconds until the next attribute is due (at most `MAX_SLEEP_MS`); one still computing is due now. */
async function nextDueIn(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ ms: number | null }>`
    select extract(epoch from min(case when status = 'computing' then now()
      else coalesce(refreshed_at + refresh_every::interval, now()) end) - now()) * 1000 as ms
    from computed_attributes`.execute(db);
  const ms = rows[0]?.ms;
  return ms === null || ms === undefined ? MAX_SLEEP_MS : Math.min(MAX_SLEEP_MS, Math.max(1000, Number(ms)));
}

/** The task to register as `waymark.computed`: refreshes what is due, then queues itself for the next. */
export function computedTask(runtime: Runtime): Task {
  return async () => {
    try {
      await refreshDue(runtime.db);
    } finally {
      await queueComputedRefresh(runtime.db, await nextDueIn(runtime.db), { keepQueued: true });
    }
  };
}
